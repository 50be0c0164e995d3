import { basic, send } from '../support/http';
import { ResourceServerUnderTest, SecuritySystem } from '../support/security-system';

/**
 * Issue 11 item 10 at the APIs: a shared cache (a proxy, a CDN, a browser's disk) must not keep
 * one caller's answer, or a refusal of one, and no answer names the framework (`X-Powered-By`).
 * Every answer checked here came from the real services over HTTP.
 */
describe('private answers and framework headers', () => {
  let system: SecuritySystem;

  beforeAll(async () => {
    system = await SecuritySystem.start();
  });

  afterAll(async () => {
    await system?.stop();
  });

  describe.each(['user-service', 'message-service'] as const)('%s', (name) => {
    const server = (): ResourceServerUnderTest => (name === 'user-service' ? system.userService : system.messageService);
    const api = (path: string, authorization?: string, init: { method?: string; body?: string } = {}) =>
      send(`${server().baseUrl}${path}`, {
        ...init,
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      });

    it('[H10] answers its API with Cache-Control: no-store: 200, and 401 and 403 refusals', async () => {
      const granted = await api(server().path, `Bearer ${system.validToken(name)}`);
      expect(granted.status).toBe(200);
      expect(granted.headers.get('cache-control')).toBe('no-store');

      const noToken = await api(server().path);
      expect(noToken.status).toBe(401);
      expect(noToken.json).toMatchObject({ error: 'unauthorized' });
      expect(noToken.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer realm="${name}"`));
      expect(noToken.headers.get('cache-control')).toBe('no-store');

      const badToken = await api(server().path, `Bearer ${system.validToken(name, { exp: Math.floor(Date.now() / 1000) - 3600 })}`);
      expect(badToken.status).toBe(401);
      expect(badToken.json).toMatchObject({ error: 'invalid_token' });
      expect(badToken.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(badToken.headers.get('cache-control')).toBe('no-store');

      const lackingScope = await api(server().path, `Bearer ${system.validToken(name, { scope: 'openid' })}`);
      expect(lackingScope.status).toBe(403);
      expect(lackingScope.json).toMatchObject({ error: 'insufficient_scope' });
      expect(lackingScope.headers.get('www-authenticate')).toContain(`error="insufficient_scope", scope="${server().scope}"`);
      expect(lackingScope.headers.get('cache-control')).toBe('no-store');
    });

    it('[H10] answers a bad request body and an unknown path with Cache-Control: no-store', async () => {
      const path = name === 'user-service' ? '/api/users/messages' : '/api/messages';
      const malformed = await api(path, `Bearer ${system.validToken(name)}`, { method: 'POST', body: '{"to": ' });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('cache-control')).toBe('no-store');
      const unknown = await api('/api/nothing-here', `Bearer ${system.validToken(name)}`);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('cache-control')).toBe('no-store');
    });

    it('[H10] leaves the public documents (OpenAPI, RFC 9728 metadata) cacheable as before', async () => {
      for (const path of ['/api/docs.json', '/.well-known/oauth-protected-resource']) {
        const reply = await api(path);
        expect({ path, status: reply.status }).toEqual({ path, status: 200 });
        expect({ path, cacheControl: reply.headers.get('cache-control') }).not.toEqual({ path, cacheControl: 'no-store' });
      }
    });

    it('[H10] sends no X-Powered-By, on answers and refusals alike', async () => {
      const replies = await Promise.all([
        api(server().path, `Bearer ${system.validToken(name)}`),
        api(server().path),
        api('/api/nothing-here'),
        api('/api/docs.json'),
        api('/health/ready'),
      ]);
      expect(replies.map((reply) => reply.status)).toEqual([200, 401, 404, 200, 200]);
      expect(replies.map((reply) => reply.headers.get('x-powered-by'))).toEqual([null, null, null, null, null]);
    });
  });

  it('[H10] the auth server sends no X-Powered-By, on any of its endpoints', async () => {
    const issuer = system.auth.issuer;
    const discovery = await send(`${issuer}/.well-known/openid-configuration`);
    const replies = [
      discovery,
      ...(await Promise.all([
        send(String(discovery.json?.['jwks_uri'])),
        send(system.tokenEndpoint, { form: { grant_type: 'client_credentials' }, headers: { authorization: basic('user-service', 'wrong') } }),
        send(`${issuer}/oauth2/authorize?client_id=demo-app&response_type=code`),
        send(`${issuer}/health/live`),
        send(`${issuer}/no-such-page`),
      ])),
    ];
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 401, 400, 200, 404]);
    expect(replies.map((reply) => reply.headers.get('x-powered-by'))).toEqual([null, null, null, null, null, null]);
  });
});
