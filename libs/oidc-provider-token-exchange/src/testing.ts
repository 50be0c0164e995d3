/**
 * `@baton/oidc-provider-token-exchange/testing`: helpers to test a provider with the grant
 * registered, without a login flow: a signing key in the shape the provider takes and publishes,
 * and subject tokens signed with it (jose), valid or deliberately wrong. No test framework import.
 */
import { createHash, generateKeyPairSync, JsonWebKey, KeyObject, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { PublicJwk } from './lib/verification/verification-keys';

/** The algorithms `testSigningKey` makes keys for. */
export type TestSigningAlgorithm = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';

export interface TestSigningKey {
  kid: string;
  alg: TestSigningAlgorithm;
  privateKey: KeyObject;
  /** For `new Provider(issuer, { jwks: { keys: [privateJwk] } })`. */
  privateJwk: JsonWebKey & { kid: string; alg: string; use: string };
  /** As the provider publishes it; for `registerTokenExchange`'s `publicJwks`. */
  publicJwk: PublicJwk;
}

/** A fresh signing key pair (RSA keys are 2048 bits). */
export function testSigningKey(alg: TestSigningAlgorithm = 'ES256', kid: string = randomUUID()): TestSigningKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'ES384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : alg === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    alg,
    privateKey: pair.privateKey,
    privateJwk: { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
    publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

export interface SignTestAccessTokenOptions {
  key: Pick<TestSigningKey, 'kid' | 'alg' | 'privateKey'>;
  claims: Record<string, unknown>;
  /** Merged over the default header `{ alg, kid, typ: 'at+jwt' }`; a member set to `undefined` is left out. */
  header?: Record<string, unknown>;
}

/**
 * Signs an access token as the provider would (RFC 9068 header `typ: at+jwt`), with jose: an
 * implementation independent of the grant's verifier. Claims are taken as given, so a test can
 * forge exactly the wrong token it needs (expired, foreign issuer, `cnf`, `may_act`...).
 */
export async function signTestAccessToken({ key, claims, header }: SignTestAccessTokenOptions): Promise<string> {
  const protectedHeader = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header };
  return new SignJWT(claims).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
}

/**
 * Claims of a user's access token as an oidc-provider would issue it to a service: `sub`, one
 * `aud`, `scope`, an hour of life. `overrides` replace or (set to `undefined`) drop claims.
 */
export function testAccessTokenClaims(
  issuer: string,
  overrides: Record<string, unknown> = {},
  now: number = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  return {
    iss: issuer,
    sub: 'alice',
    aud: 'user-service',
    client_id: 'demo-app',
    scope: 'openid user.read message.read message.write',
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    ...overrides,
  };
}

/** A DPoP proof key (a service's key pair) and its public JWK, as a proof's `jwk` header carries it. */
export interface TestDpopKey {
  alg: TestSigningAlgorithm;
  privateKey: KeyObject;
  publicJwk: JsonWebKey;
}

/** A fresh DPoP key pair (ES256 by default; RSA keys are 2048 bits). */
export function testDpopKey(alg: TestSigningAlgorithm = 'ES256'): TestDpopKey {
  const { privateKey, publicJwk } = testSigningKey(alg);
  const { kty, crv, x, y, n, e } = publicJwk;
  const bare = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined));
  return { alg, privateKey, publicJwk: bare as JsonWebKey };
}

export interface SignTestDpopProofOptions {
  key: TestDpopKey;
  /** `htm`, e.g. `POST`. */
  method: string;
  /** `htu`: the endpoint's URL as the server is known by. */
  url: string;
  /** Server nonce (RFC 9449 §8). */
  nonce?: string;
  /** The access token a resource request carries: sets `ath`. */
  accessToken?: string;
  /** Default now. */
  iat?: number;
  /** Default a fresh UUID. */
  jti?: string;
  /** Merged over `{ typ: 'dpop+jwt', alg, jwk }`; a member set to `undefined` is left out. */
  header?: Record<string, unknown>;
  /** Merged over the claims; a member set to `undefined` is left out. */
  claims?: Record<string, unknown>;
}

/**
 * A DPoP proof JWT (RFC 9449 §4.2) signed with jose, independent of the grant's verifier; the
 * overrides let a test forge exactly the wrong proof it needs (another `typ`, a private `jwk`...).
 */
export async function signTestDpopProof(options: SignTestDpopProofOptions): Promise<string> {
  const { key } = options;
  const claims = dropUndefined({
    jti: options.jti ?? randomUUID(),
    htm: options.method,
    htu: options.url,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...(options.accessToken === undefined ? {} : { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
    ...options.claims,
  });
  const header = dropUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header });
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
