import { JwksTestServer } from '../testing/jwks-test-server';
import { RunningTestApp, startTestApp } from '../../test-support/test-app';
import { generateSigningKey, SigningKey, TokenForge } from '../testing/token-forge';

const AUDIENCE = 'message-service';
const REALM = 'test-service';
const RESOURCE = 'http://localhost:8081';
const METADATA_URL = 'http://localhost:8081/.well-known/oauth-protected-resource';

describe('protected resource metadata (RFC 9728) over HTTP', () => {
  let key: SigningKey;
  let jwks: JwksTestServer;
  let forge: TokenForge;
  let server: RunningTestApp;

  beforeAll(async () => {
    key = generateSigningKey('ES256');
    jwks = await JwksTestServer.start([key.jwk]);
    forge = new TokenForge({ issuer: jwks.issuer, audience: AUDIENCE });
    server = await startTestApp({
      issuer: jwks.issuer,
      audience: AUDIENCE,
      realm: REALM,
      resource: RESOURCE,
      algorithms: ['ES256', 'RS256'],
    });
  });

  afterAll(async () => {
    await server.close();
    await jwks.stop();
  });

  it('publishes the document without a token, cacheable, with the scopes the routes require', async () => {
    const response = await fetch(`${server.url}/.well-known/oauth-protected-resource`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [jwks.issuer],
      scopes_supported: ['message.read', 'message.write'],
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: ['ES256', 'RS256'],
    });
  });

  it('builds the document from the configuration, never from Host or X-Forwarded-Host', async () => {
    const response = await fetch(`${server.url}/.well-known/oauth-protected-resource`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    expect(((await response.json()) as Record<string, unknown>)['resource']).toBe(RESOURCE);
  });

  it('names the document in every challenge (RFC 9728 §5.1): no token, a bad token, too little scope', async () => {
    const bare = await fetch(`${server.url}/me`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer realm="${REALM}", resource_metadata="${METADATA_URL}"`);

    const expired = await forge.sign({ key, claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
    const refused = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${expired}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer realm="${REALM}", error="invalid_token", error_description="The access token has expired", resource_metadata="${METADATA_URL}"`,
    );

    const narrow = await forge.sign({ key, claims: { scope: 'message.read' } });
    const forbidden = await fetch(`${server.url}/write`, { method: 'POST', headers: { authorization: `Bearer ${narrow}` } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toBe(
      `Bearer realm="${REALM}", error="insufficient_scope", scope="message.read message.write", resource_metadata="${METADATA_URL}"`,
    );
  });

  it('publishes configured scopes instead of the scanned ones, and nothing without a resource', async () => {
    const configured = await startTestApp({
      issuer: jwks.issuer,
      audience: AUDIENCE,
      resource: 'https://api.example/v1',
      scopesSupported: ['message.read'],
    });
    try {
      const document = (await (await fetch(`${configured.url}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
      expect(document['scopes_supported']).toEqual(['message.read']);
      expect((await fetch(`${configured.url}/me`)).headers.get('www-authenticate')).toBe(
        'Bearer realm="message-service", resource_metadata="https://api.example/.well-known/oauth-protected-resource/v1"',
      );
    } finally {
      await configured.close();
    }
    const without = await startTestApp({ issuer: jwks.issuer, audience: AUDIENCE });
    try {
      const response = await fetch(`${without.url}/.well-known/oauth-protected-resource`);
      expect(response.status).toBe(404);
      expect((await fetch(`${without.url}/me`)).headers.get('www-authenticate')).toBe('Bearer realm="message-service"');
    } finally {
      await without.close();
    }
  });
});
