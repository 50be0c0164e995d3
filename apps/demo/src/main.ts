import { loadConfigOrExit } from '@baton/config';
import { NestFactory } from '@nestjs/core';
import { demoConfig } from './config/demo.config';
import { DemoModule } from './demo.module';
import { DemoRunner } from './demo-runner';
import { nestLogLevels } from './config/nest-log-levels';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(demoConfig);
  const app = await NestFactory.createApplicationContext(DemoModule, { logger: nestLogLevels(config.logLevel) });
  // No enableShutdownHooks(): DemoRunner handles Ctrl-C itself, stopping the services it started
  // (also those still starting) before it exits 130.
  const exitCode = await app.get(DemoRunner).run();
  await app.close();
  process.exit(exitCode);
}

void bootstrap();
