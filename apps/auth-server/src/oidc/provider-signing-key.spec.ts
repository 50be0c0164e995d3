import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { SIGNING_ALGORITHMS } from '../config/auth-server.config';
import { generateSigningKey } from '../keys/signing-key';
import { replaceProviderKeys } from './provider-internals';
import { clientCredentialsToken, PLAIN_RESOURCE, startPlainProvider } from './provider-internals/test-support/plain-provider.fixture';
import { providerKeys } from './provider-signing-key';

async function publishedJwks(baseUrl: string): Promise<{ keys: Record<string, unknown>[] }> {
  const response = await fetch(`${baseUrl}/jwks`);
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: Record<string, unknown>[] };
}

/**
 * oidc-provider signing through node:crypto (ExternalSigningKey): for every algorithm the server
 * supports, its tokens verify with jose against the JWKS it publishes, and that JWKS is exactly
 * the keys' public JWKs (same kid, alg, use and members, no private part).
 */
describe('ProviderSigningKey (oidc-provider signs through node:crypto)', () => {
  it.each(SIGNING_ALGORITHMS)('signs %s access tokens that jose verifies against the published JWKS', async (alg) => {
    const key = generateSigningKey(alg);
    const plain = await startPlainProvider({ keys: providerKeys([key]).keys, alg });
    try {
      const jwks = await publishedJwks(plain.baseUrl);
      expect(jwks.keys).toEqual([key.publicJwk]);
      const token = await clientCredentialsToken(plain.baseUrl);
      expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid: key.kid });
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), {
        algorithms: [alg],
        issuer: plain.baseUrl,
        audience: PLAIN_RESOURCE,
        typ: 'at+jwt',
      });
      expect(payload['scope']).toBe('read');
    } finally {
      await plain.close();
    }
  });

  it('follows a key rotation: the new key signs, both are published, the old token still verifies', async () => {
    const old = generateSigningKey('ES256');
    const plain = await startPlainProvider({ keys: providerKeys([old]).keys });
    try {
      const before = await clientCredentialsToken(plain.baseUrl);
      const added = generateSigningKey('ES256');
      replaceProviderKeys(plain.provider, providerKeys([added, old]));

      const jwks = await publishedJwks(plain.baseUrl);
      expect(jwks.keys).toEqual([added.publicJwk, old.publicJwk]);
      const after = await clientCredentialsToken(plain.baseUrl);
      expect(decodeProtectedHeader(after).kid).toBe(added.kid);
      const keySet = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
      for (const token of [before, after]) {
        await expect(jwtVerify(token, keySet, { algorithms: ['ES256'], issuer: plain.baseUrl, audience: PLAIN_RESOURCE })).resolves.toBeDefined();
      }
    } finally {
      await plain.close();
    }
  });
});
