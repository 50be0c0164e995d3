import { loadConfig } from '@baton/config';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { userServiceConfig } from '../../src/config/user-service.config';

/**
 * user-service in this process, as `main.ts` composes it (the real AppModule), configured from
 * `env` instead of the process environment and listening on a free loopback port. Its logs are
 * off unless `env` sets LOG_LEVEL.
 */
export async function startUserService(env: Record<string, string>): Promise<{ app: INestApplication; url: string }> {
  const config = loadConfig(userServiceConfig.schema, { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(userServiceConfig.KEY)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}
