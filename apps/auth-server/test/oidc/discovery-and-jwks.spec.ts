import type { AuthorizationServerMetadata, JsonWebKeySet } from '@baton/dto';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import { InProcessAuthServer, startInProcess } from '../support/in-process-auth-server';

describe('discovery and JWKS', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(async () => {
    await server.close();
  });

  it.each(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'])(
    '%s names the issuer, the /oauth2/ endpoints, the grants and S256 only',
    async (path) => {
      const response = await fetch(`${server.baseUrl}${path}`);
      expect(response.status).toBe(200);
      const metadata = (await response.json()) as AuthorizationServerMetadata;
      const base = server.baseUrl;
      expect(metadata).toMatchObject({
        issuer: server.config.issuer,
        authorization_endpoint: `${base}/oauth2/authorize`,
        token_endpoint: `${base}/oauth2/token`,
        jwks_uri: `${base}/oauth2/jwks`,
        introspection_endpoint: `${base}/oauth2/introspect`,
        revocation_endpoint: `${base}/oauth2/revoke`,
        userinfo_endpoint: `${base}/oauth2/userinfo`,
        end_session_endpoint: `${base}/oauth2/end_session`,
        code_challenge_methods_supported: ['S256'],
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['ES256'],
      });
      expect([...metadata.grant_types_supported].sort()).toEqual(
        ['authorization_code', 'client_credentials', 'refresh_token', TOKEN_EXCHANGE_GRANT_TYPE].sort(),
      );
    },
  );

  it('serves public keys only, each with a kid, alg and use', async () => {
    const response = await fetch(`${server.baseUrl}/oauth2/jwks`);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as JsonWebKeySet;
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(typeof key.kid).toBe('string');
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        expect(key).not.toHaveProperty(privateMember);
      }
    }
  });

  it('answers readiness with the database and key checks, liveness on /health', async () => {
    const response = await fetch(`${server.baseUrl}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      info: { database: { status: 'up' }, signingKeys: { status: 'up', keys: 1 } },
      error: {},
      details: { database: { status: 'up' }, signingKeys: { status: 'up', keys: 1 } },
    });
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
  });

  it('answers an unknown /oauth2/ path with a JSON 404', async () => {
    const response = await fetch(`${server.baseUrl}/oauth2/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found', message: 'No such endpoint' });
  });

  it('answers an unknown path outside /oauth2/ with a JSON 404 too', async () => {
    const response = await fetch(`${server.baseUrl}/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });
});
