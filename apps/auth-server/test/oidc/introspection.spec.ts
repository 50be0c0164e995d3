import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import { importJWK, SignJWT } from 'jose';
import { stringify } from 'yaml';
import { SigningKeysService } from '../../src/keys/signing-keys.service';
import { InProcessAuthServer, startInProcess } from '../support/in-process-auth-server';
import { ClientCredentials, exchangeForMessageService, FormReply, postForm, redeemCode, signInForCode, USER_SERVICE } from './support/oauth-forms';

const HASH = '$scrypt$ln=15,r=8,p=1$SDCOOFnbL58AzDn79yWJ8w$yTAknwA9lttDsEH62QJZRVP7JQjS6bOjFxSGH8aBXfQ';
const MESSAGE_SERVICE: ClientCredentials = { id: 'message-service', secret: 'message-secret' };
const BILLING: ClientCredentials = { id: 'billing', secret: 'billing-secret' };
const GATEWAY: ClientCredentials = { id: 'gateway', secret: 'gateway-secret' };

/**
 * The demo's services plus a third service (billing, a resource server with its own client) and
 * a gateway allowed to introspect message-service's tokens explicitly.
 */
const CONFIG = {
  resourceServers: [
    { audience: 'user-service', resource: 'http://localhost:8080', scopes: ['user.read', 'message.read', 'message.write'] },
    { audience: 'message-service', resource: 'http://localhost:8081', scopes: ['message.read', 'message.write'] },
    { audience: 'billing', resource: 'http://localhost:8082', scopes: ['billing.read'] },
  ],
  clients: [
    {
      clientId: 'user-service',
      secret: 'secret',
      grantTypes: ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE],
      scopes: ['user.read', 'message.read', 'message.write'],
      tokenExchange: { targets: ['message-service'] },
    },
    // A resource server's client: by default it may introspect the tokens meant for it.
    {
      clientId: 'message-service',
      secret: MESSAGE_SERVICE.secret,
      grantTypes: [TOKEN_EXCHANGE_GRANT_TYPE],
      scopes: ['message.read'],
      tokenExchange: { subjectAudiences: ['user-service'], targets: ['message-service'] },
    },
    { clientId: 'billing', secret: BILLING.secret, grantTypes: ['client_credentials'], scopes: ['billing.read'] },
    {
      clientId: 'gateway',
      secret: GATEWAY.secret,
      grantTypes: ['client_credentials'],
      scopes: ['billing.read'],
      clientCredentials: { targets: ['billing'] },
      introspection: { audiences: ['message-service'] },
    },
    {
      clientId: 'demo-app',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['http://127.0.0.1/callback'],
      scopes: ['openid', 'user.read', 'message.read', 'message.write'],
      defaultResource: 'user-service',
    },
  ],
  users: [{ username: 'alice', passwordHash: HASH }],
};

describe('introspection (RFC 7662)', () => {
  let server: InProcessAuthServer;
  let directory: string;
  let alice: { accessToken: string; refreshToken: string };
  let exchanged: string;

  const introspect = (token: string, caller?: ClientCredentials, extra: Record<string, string> = {}): Promise<FormReply> =>
    postForm(server.baseUrl, '/oauth2/introspect', { token, ...extra }, caller);

  /** An access token signed with the server's own key, with any claims. */
  async function signedByServer(claims: Record<string, unknown>): Promise<string> {
    const [jwk] = server.app.get(SigningKeysService).privateJwks().keys;
    if (jwk === undefined) throw new Error('no signing key');
    const key = await importJWK(jwk as Parameters<typeof importJWK>[0], 'ES256');
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: String(jwk.kid) }).sign(key);
  }

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'introspection-'));
    const file = join(directory, 'auth.yaml');
    writeFileSync(file, stringify(CONFIG));
    server = await startInProcess({ AUTH_SERVER_CONFIG_FILE: file });
    const tokens = await redeemCode(server.baseUrl, await signInForCode(server.baseUrl, 'alice', 'alice-password'));
    alice = { accessToken: String(tokens.body?.['access_token']), refreshToken: String(tokens.body?.['refresh_token']) };
    exchanged = String((await exchangeForMessageService(server.baseUrl, alice.accessToken)).body?.['access_token']);
  });

  afterAll(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  function expectActive(reply: FormReply): Record<string, unknown> {
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.headers.get('pragma')).toBe('no-cache');
    expect(reply.body?.['active']).toBe(true);
    return reply.body ?? {};
  }

  function expectInactive(reply: FormReply): void {
    expect([reply.status, reply.body]).toEqual([200, { active: false }]);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.headers.get('pragma')).toBe('no-cache');
  }

  describe('JWT access tokens', () => {
    it("[H08] a user's token, introspected by the resource server it is for: active with its claims", async () => {
      const body = expectActive(await introspect(alice.accessToken, USER_SERVICE));
      expect(body).toEqual({
        active: true,
        sub: 'alice',
        aud: 'user-service',
        scope: 'user.read message.read message.write',
        client_id: 'demo-app',
        exp: expect.any(Number),
        iat: expect.any(Number),
        iss: server.config.issuer,
        token_type: 'Bearer',
      });
      expect((body['exp'] as number) - (body['iat'] as number)).toBe(300);
    });

    it('[H08] an exchanged token: active with act, for its own client and for its audience', async () => {
      const byClient = expectActive(await introspect(exchanged, USER_SERVICE));
      expect(byClient).toMatchObject({ sub: 'alice', aud: 'message-service', client_id: 'user-service', act: { sub: 'user-service' } });
      const byAudience = expectActive(await introspect(exchanged, MESSAGE_SERVICE));
      expect(byAudience).toEqual(byClient);
      // An explicit right: the gateway may introspect message-service's tokens.
      expect(expectActive(await introspect(exchanged, GATEWAY, { token_type_hint: 'access_token' }))['act']).toEqual({ sub: 'user-service' });
    });

    it("[H08] a client_credentials token, introspected by its own client: active", async () => {
      const own = await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, BILLING);
      expect(expectActive(await introspect(String(own.body?.['access_token']), BILLING))).toMatchObject({
        sub: 'billing',
        aud: 'billing',
        client_id: 'billing',
        scope: 'billing.read',
      });
    });

    it("[H08] a third client introspecting someone else's token: active false", async () => {
      expectInactive(await introspect(alice.accessToken, BILLING));
      expectInactive(await introspect(exchanged, BILLING));
      // message-service is not what alice's token is for; the gateway may see message-service's only.
      expectInactive(await introspect(alice.accessToken, MESSAGE_SERVICE));
      expectInactive(await introspect(alice.accessToken, GATEWAY));
    });

    it('[H08] an expired token, a foreign one and garbage: active false', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: server.config.issuer, sub: 'alice', aud: 'user-service', client_id: 'demo-app', scope: 'user.read', jti: 'x' };
      // The same claims within their lifetime are active: only the expiry differs.
      expectActive(await introspect(await signedByServer({ ...claims, iat: now - 10, exp: now + 300 }), USER_SERVICE));
      expectInactive(await introspect(await signedByServer({ ...claims, iat: now - 600, exp: now - 300 }), USER_SERVICE));
      expectInactive(await introspect(await signedByServer({ ...claims, iss: 'https://elsewhere.example', iat: now, exp: now + 300 }), USER_SERVICE));
      const [header, payload] = alice.accessToken.split('.');
      expectInactive(await introspect(`${header}.${payload}.${'A'.repeat(86)}`, USER_SERVICE));
      expectInactive(await introspect('eyJhbGciOiJub25lIn0.e30.', USER_SERVICE));
      expectInactive(await introspect('garbage', USER_SERVICE));
    });

    it("[H08] a token whose user's grant was revoked (code replay): active false", async () => {
      const issued = await signInForCode(server.baseUrl, 'alice', 'alice-password');
      const tokens = await redeemCode(server.baseUrl, issued);
      const accessToken = String(tokens.body?.['access_token']);
      expectActive(await introspect(accessToken, USER_SERVICE));
      expect((await redeemCode(server.baseUrl, issued)).status).toBe(400);
      expectInactive(await introspect(accessToken, USER_SERVICE));
    });
  });

  describe('opaque refresh tokens', () => {
    it('are introspected by their own client only', async () => {
      expect(expectActive(await introspect(alice.refreshToken, undefined, { client_id: 'demo-app' }))).toMatchObject({ sub: 'alice', client_id: 'demo-app' });
      expectInactive(await introspect(alice.refreshToken, USER_SERVICE));
      expectInactive(await introspect(alice.refreshToken, BILLING));
    });
  });

  it('requires client authentication: 401 invalid_client', async () => {
    const reply = await introspect(alice.accessToken, { ...USER_SERVICE, secret: 'wrong' });
    expect([reply.status, reply.body?.['error']]).toEqual([401, 'invalid_client']);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });
});
