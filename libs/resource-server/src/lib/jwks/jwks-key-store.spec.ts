import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { JwksTestServer } from '../testing/jwks-test-server';
import { generateSigningKey, SigningKey } from '../testing/token-forge';
import { ResourceServerError } from '../errors/resource-server.error';
import { resolveResourceServerOptions, ResourceServerModuleOptions } from '../resource-server-options';
import { JwksKeyStore } from './jwks-key-store';
import { JwksReadinessCheck } from './jwks-readiness.check';

async function refusal(promise: Promise<unknown>): Promise<ResourceServerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ResourceServerError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('JwksKeyStore', () => {
  let key: SigningKey;
  let jwks: JwksTestServer;
  let clock: number;
  const store = (options: Partial<ResourceServerModuleOptions> = {}) =>
    new JwksKeyStore(
      resolveResourceServerOptions({ issuer: jwks.issuer, audience: 'message-service', ...options }),
      () => clock,
    );

  beforeEach(async () => {
    clock = 1_000_000;
    key = generateSigningKey('ES256');
    jwks = await JwksTestServer.start([key.jwk]);
  });

  afterEach(() => jwks.stop());

  it('finds the JWKS through RFC 8414 discovery and caches the keys', async () => {
    const keys = store();
    const found = await keys.getKey(key.kid, 'ES256');
    expect(found.equals(key.publicKey)).toBe(true);
    await keys.getKey(key.kid, 'ES256');
    expect(jwks.requests).toEqual(['/.well-known/oauth-authorization-server', '/oauth2/jwks']);
    expect(keys.ready).toBe(true);
    expect(keys.fetchCount).toBe(2);
  });

  it('falls back to OpenID Connect discovery', async () => {
    const oidc = await startServer((path, issuer) =>
      path === '/.well-known/openid-configuration'
        ? [200, { issuer, jwks_uri: `${issuer}/keys` }]
        : path === '/keys'
          ? [200, { keys: [key.jwk] }]
          : [404, { error: 'not_found' }],
    );
    const keys = new JwksKeyStore(resolveResourceServerOptions({ issuer: oidc.issuer, audience: 'a' }), () => clock);
    expect((await keys.getKey(key.kid, 'ES256')).equals(key.publicKey)).toBe(true);
    await oidc.close();
  });

  it('refuses a discovery document that names another issuer (503, it is a misconfiguration)', async () => {
    const liar = await startServer((path) =>
      path.startsWith('/.well-known/') ? [200, { issuer: 'http://evil.example', jwks_uri: jwks.jwksUri }] : [404, {}],
    );
    const keys = new JwksKeyStore(resolveResourceServerOptions({ issuer: liar.issuer, audience: 'a' }), () => clock);
    const error = await refusal(keys.getKey(key.kid, 'ES256'));
    expect(error.getStatus()).toBe(503);
    expect(jwks.jwksFetches).toBe(0);
    await liar.close();
  });

  it('refuses a JWKS without usable keys (private keys, encryption keys, unknown types)', async () => {
    const privateJwk = { ...key.privateKey.export({ format: 'jwk' }), kid: key.kid };
    jwks.setKeys([privateJwk, { ...key.jwk, use: 'enc' }, { kty: 'oct', k: 'c2VjcmV0', kid: key.kid }]);
    const error = await refusal(store({ jwksUri: jwks.jwksUri }).getKey(key.kid, 'ES256'));
    expect(error.getStatus()).toBe(503);
  });

  it('selects by kid, alg and key type', async () => {
    const rsa = generateSigningKey('RS256');
    const p384 = generateSigningKey('ES384');
    jwks.setKeys([key.jwk, rsa.jwk, p384.jwk]);
    const keys = store({ jwksUri: jwks.jwksUri, algorithms: ['ES256', 'ES384', 'RS256', 'PS256'] });
    expect((await keys.getKey(rsa.kid, 'RS256')).equals(rsa.publicKey)).toBe(true);
    expect((await keys.getKey(p384.kid, 'ES384')).equals(p384.publicKey)).toBe(true);
    clock += 60_000;
    // The JWK says alg RS256: it does not verify PS256 even though the key type would fit.
    expect((await refusal(keys.getKey(rsa.kid, 'PS256'))).description).toBe('The access token is signed by an unknown key');
    clock += 60_000;
    expect((await refusal(keys.getKey(key.kid, 'ES384'))).error).toBe('invalid_token');
  });

  it('uses the only fitting key for a token without kid, but never guesses among several', async () => {
    const withoutKid = { ...key.jwk };
    delete withoutKid['kid'];
    jwks.setKeys([withoutKid]);
    const keys = store({ jwksUri: jwks.jwksUri });
    expect((await keys.getKey(undefined, 'ES256')).equals(key.publicKey)).toBe(true);

    const other = generateSigningKey('ES256');
    jwks.setKeys([key.jwk, other.jwk]);
    const two = store({ jwksUri: jwks.jwksUri });
    expect((await refusal(two.getKey(undefined, 'ES256'))).error).toBe('invalid_token');
  });

  it('refetches for an unknown kid at most once per interval, and shares one request among concurrent callers', async () => {
    const keys = store({ jwksUri: jwks.jwksUri, jwksRefetchMinIntervalMs: 15_000 });
    await keys.getKey(key.kid, 'ES256');
    clock += 15_000;
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => keys.getKey(`random-${i}`, 'ES256')));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(jwks.jwksFetches).toBe(2);
    clock += 14_999;
    await refusal(keys.getKey('again', 'ES256'));
    expect(jwks.jwksFetches).toBe(2);
    clock += 1;
    await refusal(keys.getKey('again', 'ES256'));
    expect(jwks.jwksFetches).toBe(3);
  });

  it('refreshes keys older than the cache age, so a removed key stops being trusted', async () => {
    const keys = store({ jwksUri: jwks.jwksUri, jwksCacheMaxAgeMs: 60_000 });
    await keys.getKey(key.kid, 'ES256');
    const next = generateSigningKey('ES256');
    jwks.setKeys([next.jwk]);
    clock += 59_999;
    expect((await keys.getKey(key.kid, 'ES256')).equals(key.publicKey)).toBe(true);
    clock += 1;
    expect((await refusal(keys.getKey(key.kid, 'ES256'))).description).toBe('The access token is signed by an unknown key');
    expect((await keys.getKey(next.kid, 'ES256')).equals(next.publicKey)).toBe(true);
  });

  it('keeps using stale keys while the JWKS is unreachable', async () => {
    const keys = store({ jwksUri: jwks.jwksUri, jwksCacheMaxAgeMs: 60_000 });
    await keys.getKey(key.kid, 'ES256');
    await jwks.stop();
    clock += 120_000;
    expect((await keys.getKey(key.kid, 'ES256')).equals(key.publicKey)).toBe(true);
    await jwks.resume();
  });

  it('retries within a second while no key was ever fetched, and says when to retry', async () => {
    await jwks.stop();
    const keys = store({ jwksUri: jwks.jwksUri });
    const first = await refusal(keys.getKey(key.kid, 'ES256'));
    expect(first.getStatus()).toBe(503);
    expect(first.headers).toEqual({ 'Retry-After': '1' });
    await jwks.resume();
    clock += 500;
    expect((await refusal(keys.getKey(key.kid, 'ES256'))).getStatus()).toBe(503);
    expect(jwks.jwksFetches).toBe(0);
    clock += 500;
    expect((await keys.getKey(key.kid, 'ES256')).equals(key.publicKey)).toBe(true);
  });

  it('fetches the keys for a readiness probe, within the same rate limit, and stays ready once it has them', async () => {
    await jwks.stop();
    const keys = store({ jwksUri: jwks.jwksUri });
    const probe = new JwksReadinessCheck(keys);
    expect(await probe.check()).toEqual({
      jwks: { status: 'down', message: "the issuer's signing keys could not be fetched yet" },
    });
    expect(keys.fetchCount).toBe(1);
    await jwks.resume();
    // A probe a moment later does not fetch again (at most one attempt a second while cold).
    clock += 500;
    expect(await keys.ensureReady()).toBe(false);
    expect(keys.fetchCount).toBe(1);
    clock += 500;
    expect(await probe.check()).toEqual({ jwks: { status: 'up' } });
    expect(keys.fetchCount).toBe(2);
    expect(keys.ready).toBe(true);
    // Ready is ready: later probes cost nothing, even with the issuer gone.
    await jwks.stop();
    clock += 60_000;
    expect(await probe.check()).toEqual({ jwks: { status: 'up' } });
    expect(keys.fetchCount).toBe(2);
    await jwks.resume();
  });

  it('gives up on a JWKS that does not answer within the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const keys = store({ jwksUri: `http://127.0.0.1:${port}/jwks`, jwksTimeoutMs: 200 });
    expect((await refusal(keys.getKey(key.kid, 'ES256'))).getStatus()).toBe(503);
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });
});

async function startServer(
  answer: (path: string, issuer: string) => [number, unknown],
): Promise<{ issuer: string; close(): Promise<void> }> {
  let issuer = '';
  const server: Server = createServer((request, response) => {
    const [status, body] = answer(request.url ?? '/', issuer);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
