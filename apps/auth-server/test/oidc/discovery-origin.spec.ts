import { request } from 'node:http';
import { DISCOVERY_PATHS } from '../../src/oidc/oidc.constants';
import { InProcessAuthServer, startInProcess } from '../support/in-process-auth-server';

/** Every member of a metadata document that is a URL (the endpoints, jwks_uri), with its value. */
function urlMembers(metadata: Record<string, unknown>): [string, string][] {
  return Object.entries(metadata).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && /^https?:\/\//.test(entry[1]));
}

/**
 * A GET with exactly these headers. fetch cannot send another `Host` (a forbidden header name),
 * which is what a poisoning request does, so this goes through node:http.
 */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe.each([
  ['an http issuer (no proxy trusted)', {}],
  ['an https issuer (behind a proxy: X-Forwarded-* considered)', { AUTH_SERVER_ISSUER: 'https://auth.baton.test' }],
])('discovery with %s', (_name, env: Record<string, string>) => {
  let server: InProcessAuthServer;
  let issuerOrigin: string;

  beforeAll(async () => {
    server = await startInProcess(env);
    issuerOrigin = new URL(server.config.issuer).origin;
  });

  afterAll(async () => {
    await server.close();
  });

  it.each(DISCOVERY_PATHS.flatMap((path) => [
    [path, { host: 'evil.example' }],
    [path, { 'x-forwarded-host': 'evil.example' }],
    [path, { 'x-forwarded-host': 'evil.example, auth.baton.test', 'x-forwarded-proto': 'http' }],
  ]))('[H05] %s with %j: every endpoint on the issuer origin, cacheable', async (path, headers: Record<string, string>) => {
    const response = await get(`${server.baseUrl}${path}`, headers);
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    const metadata = JSON.parse(response.text) as Record<string, unknown>;
    expect(metadata['issuer']).toBe(server.config.issuer);
    const urls = urlMembers(metadata);
    // token, authorization, jwks, introspection, revocation, userinfo, end_session at least.
    expect(urls.length).toBeGreaterThanOrEqual(7);
    for (const [member, url] of urls) {
      expect([member, new URL(url).origin]).toEqual([member, issuerOrigin]);
    }
    expect(JSON.stringify(metadata)).not.toContain('evil.example');
  });

  it('[H05] redirects of the provider (authorize → sign-in page) stay on the issuer origin whatever the Host', async () => {
    const url = `${server.baseUrl}/oauth2/authorize?client_id=demo-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1/callback')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
    const response = await get(url, { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect(response.status).toBe(303);
    const location = new URL(String(response.headers['location']), server.config.issuer);
    expect(location.origin).toBe(issuerOrigin);
  });
});
