/**
 * The example's own tests, as an adopter writes them: no auth server, no mocks. The resource
 * server package's testing entry starts a local issuer (discovery + JWKS) and forges its tokens;
 * the app runs over real HTTP. Run with `npm test` after `npm run build` (node:test).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startTestIssuer, TestIssuer } from '@baton/resource-server/testing';
import { loadAdopterConfig } from './adopter.config';
import { AppModule } from './app.module';

describe('adopter-service', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  before(async () => {
    issuer = await startTestIssuer({ audience: 'adopter-service' });
    app = await NestFactory.create(AppModule.register({ ...loadAdopterConfig({}), issuer: issuer.issuer }), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  after(async () => {
    await app.close();
    await issuer.stop();
  });

  const get = (path: string, token?: string): Promise<Response> =>
    fetch(`${url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('answers the public route without a token', async () => {
    assert.equal((await get('/api/hello')).status, 200);
  });

  it('refuses a protected route without a token, with the RFC 6750 challenge', async () => {
    const response = await get('/api/me');
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="adopter-service"/);
  });

  it("answers the caller's identity for a token with adopter.read", async () => {
    const response = await get('/api/me', await issuer.forgeToken({ sub: 'alice', scope: 'adopter.read' }));
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { sub: string }).sub, 'alice');
  });

  it('refuses a token without the scope with 403 insufficient_scope', async () => {
    const response = await get('/api/me', await issuer.forgeToken({ sub: 'alice', scope: 'message.read' }));
    assert.equal(response.status, 403);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  it('refuses a token for another audience', async () => {
    const response = await get('/api/me', await issuer.forgeToken({ aud: 'message-service', scope: 'adopter.read' }));
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });
});
