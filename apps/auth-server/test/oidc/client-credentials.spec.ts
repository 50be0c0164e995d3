import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JsonWebKeySet } from '@baton/dto';
import { InProcessAuthServer, jwtHeader, jwtPayload, postToken, startInProcess } from '../support/in-process-auth-server';

const USER_SERVICE = { id: 'user-service', secret: 'secret' };

describe('client_credentials', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(async () => {
    await server.close();
  });

  async function jwks(): Promise<ReturnType<typeof createLocalJWKSet>> {
    const response = await fetch(`${server.baseUrl}/oauth2/jwks`);
    return createLocalJWKSet((await response.json()) as JsonWebKeySet);
  }

  it("answers the seed's curl (secret in the body, no resource) with a JWT for user-service", async () => {
    const { status, headers, body } = await postToken(server.baseUrl, {
      grant_type: 'client_credentials',
      client_id: 'user-service',
      client_secret: 'secret',
    });
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'user.read message.read message.write' });

    const token = body['access_token'] as string;
    expect(jwtHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const { payload, protectedHeader } = await jwtVerify(token, await jwks(), {
      issuer: server.config.issuer,
      audience: 'user-service',
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(typeof protectedHeader.kid).toBe('string');
    expect(payload).toMatchObject({
      iss: server.config.issuer,
      sub: 'user-service',
      aud: 'user-service',
      client_id: 'user-service',
      scope: 'user.read message.read message.write',
    });
    expect(typeof payload.jti).toBe('string');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
  });

  it('takes client_secret_basic as well', async () => {
    const { status, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE);
    expect(status).toBe(200);
    expect(jwtPayload(body['access_token'] as string)['aud']).toBe('user-service');
  });

  it.each([
    ['a URI', 'http://localhost:8080'],
    ['a URI with a trailing slash', 'http://localhost:8080/'],
    ['an audience', 'user-service'],
  ])('names the resource by %s: aud is the logical audience', async (_how, resource) => {
    const { status, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials', resource }, USER_SERVICE);
    expect(status).toBe(200);
    expect(body['scope']).toBe('user.read message.read message.write');
    expect(jwtPayload(body['access_token'] as string)).toMatchObject({ aud: 'user-service', scope: 'user.read message.read message.write' });
  });

  it.each([
    ['a URI', 'http://localhost:8081'],
    ['a URI with a trailing slash', 'http://localhost:8081/'],
    ['an audience', 'message-service'],
  ])(
    '[H07] refuses user-service its own token for message-service (named by %s): 400 invalid_target, the exchange is the only way there',
    async (_how, resource) => {
      const { status, headers, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials', resource }, USER_SERVICE);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'invalid_target', error_description: 'this client may not obtain client_credentials tokens for the resource' });
      expect(headers.get('cache-control')).toBe('no-store');
      expect(headers.get('pragma')).toBe('no-cache');
    },
  );

  it('grants exactly the scope asked for when the client may have it', async () => {
    const { status, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials', scope: 'user.read' }, USER_SERVICE);
    expect(status).toBe(200);
    expect(body['scope']).toBe('user.read');
    expect(jwtPayload(body['access_token'] as string)['scope']).toBe('user.read');
  });

  it('refuses a scope the client may not have there: 400 invalid_scope', async () => {
    const { status, body } = await postToken(
      server.baseUrl,
      { grant_type: 'client_credentials', resource: 'user-service', scope: 'user.read user.write' },
      USER_SERVICE,
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_scope' });
  });

  it('refuses an unknown resource: 400 invalid_target', async () => {
    const { status, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials', resource: 'http://localhost:9999' }, USER_SERVICE);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_target', error_description: 'the resource is not registered at this server' });
  });

  it('refuses two resources in one request: 400 invalid_target', async () => {
    const response = await fetch(`${server.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials&resource=user-service&resource=message-service',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_target', error_description: 'only one resource may be requested' });
  });

  describe('refusals (RFC 6749 §5.2)', () => {
    it('wrong secret in the body: 401 invalid_client with WWW-Authenticate', async () => {
      const { status, headers, body } = await postToken(server.baseUrl, {
        grant_type: 'client_credentials',
        client_id: 'user-service',
        client_secret: 'wrong',
      });
      expect(status).toBe(401);
      expect(body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
      expect(headers.get('www-authenticate')).toBe(`Basic realm="${server.config.issuer}", error="invalid_client"`);
    });

    it('wrong secret with HTTP Basic: 401 invalid_client with a Basic challenge', async () => {
      const { status, headers, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials' }, { id: 'user-service', secret: 'wrong' });
      expect(status).toBe(401);
      expect(body).toMatchObject({ error: 'invalid_client' });
      expect(headers.get('www-authenticate')).toBe(
        `Basic realm="${server.config.issuer}", error="invalid_client", error_description="client authentication failed"`,
      );
    });

    it('unknown client: 401 invalid_client', async () => {
      const { status, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials' }, { id: 'nobody', secret: 'secret' });
      expect(status).toBe(401);
      expect(body).toMatchObject({ error: 'invalid_client' });
    });

    it('unknown grant type: 400 unsupported_grant_type', async () => {
      const { status, body } = await postToken(server.baseUrl, { grant_type: 'password', username: 'alice', password: 'alice-password' }, USER_SERVICE);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'unsupported_grant_type', error_description: 'unsupported grant_type requested' });
    });

    it('grant_type=token-exchange without the URN prefix: 400 unsupported_grant_type', async () => {
      const { status, body } = await postToken(server.baseUrl, { grant_type: 'token-exchange' }, USER_SERVICE);
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'unsupported_grant_type' });
    });

    it('no grant_type: 400 invalid_request', async () => {
      const { status, body } = await postToken(server.baseUrl, {}, USER_SERVICE);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'invalid_request', error_description: "missing required parameter 'grant_type'" });
    });

    it('a grant type the client may not use: 400 unauthorized_client', async () => {
      const { status, body } = await postToken(server.baseUrl, { grant_type: 'client_credentials', client_id: 'demo-app' });
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'unauthorized_client', error_description: 'requested grant type is not allowed for this client' });
    });

    it('a body that is not a form: 400 invalid_request', async () => {
      const response = await fetch(`${server.baseUrl}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });
  });
});
