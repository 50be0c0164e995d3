import { createHash, generateKeyPairSync } from 'node:crypto';
import { ResourceServerError } from '../errors/resource-server.error';
import { JwksKeyStore } from '../jwks/jwks-key-store';
import type { VerifiedClaims } from '../principal';
import { resolveResourceServerOptions, ResourceServerModuleOptions } from '../resource-server-options';
import { JwksTestServer } from '../testing/jwks-test-server';
import { flipSignatureByte, generateSigningKey, TokenForge } from '../testing/token-forge';
import { AccessTokenVerifier } from './access-token-verifier';
import * as jwsSignature from './jws-signature';
import { VerifiedTokenCache } from './verified-token-cache';

const claimsOf = (sub: string) => ({ sub, exp: 0 }) as unknown as VerifiedClaims;

describe('VerifiedTokenCache', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

  it('keys entries by the SHA-256 of the token, never the token', () => {
    const digest = VerifiedTokenCache.digestOf('header.payload.signature');
    expect(digest).toBe(createHash('sha256').update('header.payload.signature').digest('base64url'));
    expect(digest).not.toContain('payload');
  });

  it('answers only for the key the token was verified with', () => {
    const cache = new VerifiedTokenCache(10);
    cache.remember('d', key, claimsOf('alice'));
    expect(cache.get('d', otherKey)).toBeUndefined();
    // The entry of a key no longer served is dropped, not kept for later.
    expect(cache.get('d', key)).toBeUndefined();
  });

  it('keeps at most maxEntries, the least recently used leaving first', () => {
    const cache = new VerifiedTokenCache(2);
    cache.remember('a', key, claimsOf('a'));
    cache.remember('b', key, claimsOf('b'));
    expect(cache.get('a', key)?.sub).toBe('a');
    cache.remember('c', key, claimsOf('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('b', key)).toBeUndefined();
    expect(cache.get('a', key)?.sub).toBe('a');
    expect(cache.get('c', key)?.sub).toBe('c');
  });

  it('freezes the claims it keeps, nested ones included, so no request changes them for the next', () => {
    const cache = new VerifiedTokenCache(1);
    cache.remember('d', key, { sub: 'alice', act: { sub: 'user-service' } } as unknown as VerifiedClaims);
    const claims = cache.get('d', key) as unknown as { sub: string; act: { sub: string } };
    expect(() => {
      claims.act.sub = 'mallory';
    }).toThrow(TypeError);
    expect(cache.get('d', key)?.act).toEqual({ sub: 'user-service' });
  });

  it('holds nothing with a size of 0', () => {
    const cache = new VerifiedTokenCache(0);
    cache.remember('d', key, claimsOf('alice'));
    expect(cache.size).toBe(0);
  });
});

describe('AccessTokenVerifier with its cache of accepted tokens', () => {
  const signing = generateSigningKey('ES256', 'k1');
  let server: JwksTestServer;
  let forge: TokenForge;

  beforeAll(async () => {
    server = await JwksTestServer.start([signing.jwk]);
    forge = new TokenForge({ issuer: server.issuer, audience: 'message-service' });
  });

  afterAll(() => server.stop());

  afterEach(() => {
    jest.restoreAllMocks();
    server.setKeys([signing.jwk]);
  });

  function verifierWith(options: Partial<ResourceServerModuleOptions> = {}): AccessTokenVerifier {
    const resolved = resolveResourceServerOptions({ issuer: server.issuer, audience: 'message-service', jwksUri: server.jwksUri, ...options });
    return new AccessTokenVerifier(resolved, new JwksKeyStore(resolved));
  }

  async function refusal(verification: Promise<unknown>): Promise<string> {
    const error = await verification.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof ResourceServerError)) throw new Error('expected a refusal');
    return `${error.getStatus()} ${error.description}`;
  }

  it('checks the signature of a token once, and its claims at every use', async () => {
    const verify = jest.spyOn(jwsSignature, 'verifyJwsSignature');
    const verifier = verifierWith();
    const token = await forge.sign({ key: signing });
    const first = await verifier.verify(token);
    const again = await verifier.verify(token);
    expect(again).toEqual(first);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('checks every signature with verifiedTokenCacheSize 0', async () => {
    const verify = jest.spyOn(jwsSignature, 'verifyJwsSignature');
    const verifier = verifierWith({ verifiedTokenCacheSize: 0 });
    const token = await forge.sign({ key: signing });
    await verifier.verify(token);
    await verifier.verify(token);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('refuses an accepted token once it has expired', async () => {
    const verifier = verifierWith({ clockToleranceSeconds: 0 });
    const now = Date.now();
    const token = await forge.sign({ key: signing, claims: { exp: Math.floor(now / 1000) + 60 } });
    await verifier.verify(token);
    jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    expect(await refusal(verifier.verify(token))).toBe('401 The access token has expired');
  });

  it('never answers for a token that differs from an accepted one, even by its signature', async () => {
    const verifier = verifierWith();
    const token = await forge.sign({ key: signing });
    await verifier.verify(token);
    expect(await refusal(verifier.verify(flipSignatureByte(token)))).toMatch(/^401 /);
  });

  it('verifies again once the issuer serves another key under the same kid, and refuses the old signature', async () => {
    // Keys always stale: every verification asks the JWKS (no minimum interval between fetches).
    const verifier = verifierWith({ jwksCacheMaxAgeMs: 0, jwksRefetchMinIntervalMs: 0 });
    const token = await forge.sign({ key: signing });
    await verifier.verify(token);
    const replacement = generateSigningKey('ES256', 'k1');
    server.setKeys([replacement.jwk]);
    expect(await refusal(verifier.verify(token))).toMatch(/^401 /);
    expect(await verifier.verify(await forge.sign({ key: replacement }))).toMatchObject({ sub: 'alice' });
  });

  it('refuses an accepted token once its key is no longer published', async () => {
    const verifier = verifierWith({ jwksCacheMaxAgeMs: 0, jwksRefetchMinIntervalMs: 0 });
    const token = await forge.sign({ key: signing });
    await verifier.verify(token);
    server.setKeys([generateSigningKey('ES256', 'k2').jwk]);
    expect(await refusal(verifier.verify(token))).toMatch(/^401 /);
  });
});
