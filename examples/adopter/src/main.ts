import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadAdopterConfig } from './adopter.config';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const config = loadAdopterConfig();
  const app = await NestFactory.create(AppModule.register(config), { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(config.port, '127.0.0.1');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`adopter-service failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
