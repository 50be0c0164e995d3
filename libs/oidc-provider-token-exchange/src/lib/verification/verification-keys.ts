import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';

/** A public key of the provider's JWKS, as it publishes it at its `jwks_uri`. */
export type PublicJwk = JsonWebKey & { kid?: string; alg?: string; use?: string };

/** Gives the provider's current public keys; called on every verification, so keep it cheap. */
export type PublicJwksSource = () => readonly PublicJwk[];

interface CachedKey {
  fingerprint: string;
  jwk: PublicJwk;
  readonly key: KeyObject;
}

/**
 * Public keys by `kid`, imported once as node:crypto KeyObjects. Importing a JWK costs far more
 * than a signature check, so it is done once per key, and again only when the JWKS publishes a
 * different key under the same `kid` (rotation).
 */
export class VerificationKeys {
  private readonly cache = new Map<string, CachedKey>();
  private readonly source: PublicJwksSource;

  constructor(source: PublicJwksSource) {
    this.source = source;
  }

  /** The key published under `kid`, or `undefined` when the JWKS has none by that id. */
  find(kid: string): { jwk: PublicJwk; key: KeyObject } | undefined {
    const jwk = this.source().find((candidate) => candidate.kid === kid && candidate.use !== 'enc');
    if (jwk === undefined) {
      this.cache.delete(kid);
      return undefined;
    }
    const cached = this.cache.get(kid);
    // The JWKS source usually hands out the same objects every time: identity is the cheap check.
    if (cached !== undefined && cached.jwk === jwk) return cached;
    const fingerprint = keyFingerprint(jwk);
    if (cached !== undefined && cached.fingerprint === fingerprint) {
      cached.jwk = jwk;
      return cached;
    }
    const entry: CachedKey = { fingerprint, jwk, key: createPublicKey({ key: jwk, format: 'jwk' }) };
    this.cache.set(kid, entry);
    return entry;
  }
}

function keyFingerprint(jwk: PublicJwk): string {
  return [jwk.kty, jwk.crv, jwk.alg, jwk.x, jwk.y, jwk.n, jwk.e].join('.');
}
