import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AppExceptionFilter } from '../errors/app-exception.filter';
import { INTERACTION_PATH } from '../oidc/oidc.constants';
import { AbuseLimitsUnavailableError } from './abuse-limits-unavailable.error';

@Controller()
class FailingLimitsController {
  @Get(`${INTERACTION_PATH.replace(/^\//, '')}/uid-1/login`)
  signIn(): never {
    throw new AbuseLimitsUnavailableError();
  }

  @Get('api')
  api(): never {
    throw new AbuseLimitsUnavailableError();
  }
}

@Module({ controllers: [FailingLimitsController], providers: [{ provide: APP_FILTER, useClass: AppExceptionFilter }] })
class FailingLimitsModule {}

/**
 * What a user sees when the limits' database fails during a sign-in check, through the auth
 * server's one exception filter: 503 temporarily_unavailable with Retry-After, no detail.
 */
describe('AbuseLimitsUnavailableError through the auth server’s exception filter', () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [FailingLimitsModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });
  afterAll(() => app.close());

  it('answers the sign-in page 503 with Retry-After and the temporarily_unavailable page', async () => {
    const response = await fetch(`${baseUrl}${INTERACTION_PATH}/uid-1/login`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();
    expect(page).toContain('temporarily_unavailable');
    expect(page).not.toMatch(/postgres|stack|\.ts:/i);
  });

  it('answers a JSON route 503 {error: temporarily_unavailable} with Retry-After', async () => {
    const response = await fetch(`${baseUrl}/api`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({ error: 'temporarily_unavailable', message: expect.stringContaining('limits') });
  });
});
