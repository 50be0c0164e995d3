import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject } from 'node:crypto';
import { SIGNING_ALGORITHMS, SigningAlgorithm } from '../config/auth-server.config';
import { KeyMaterialError } from './key-material.error';

/** A JWK as published or stored: the JsonWebKey members plus `kid`, `alg`, `use`. */
export type Jwk = JsonWebKey & { kid: string; alg: SigningAlgorithm; use: 'sig' };

/** One asymmetric signing key of the server, in every form its users need. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** With the private members: only for oidc-provider's keystore and the data folder. */
  readonly privateJwk: Jwk;
  /** Public members only: what the JWKS endpoint serves. */
  readonly publicJwk: Jwk;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

export function generateSigningKey(alg: SigningAlgorithm): SigningKey {
  const { privateKey } = (() => {
    switch (alg) {
      case 'ES256':
        return generateKeyPairSync('ec', { namedCurve: 'P-256' });
      case 'ES384':
        return generateKeyPairSync('ec', { namedCurve: 'P-384' });
      case 'RS256':
      case 'PS256':
        return generateKeyPairSync('rsa', { modulusLength: 2048 });
      case 'EdDSA':
        return generateKeyPairSync('ed25519');
    }
  })();
  const jwk = privateKey.export({ format: 'jwk' });
  return signingKeyFromJwk({ ...jwk, kid: thumbprint(jwk), alg, use: 'sig' }, 'generated key');
}

/** Checks a stored or configured private JWK and derives the key objects from it. */
export function signingKeyFromJwk(value: unknown, where: string): SigningKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KeyMaterialError(`${where} is not a JWK object`);
  }
  const jwk = value as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
  if (typeof jwk.d !== 'string') throw new KeyMaterialError(`${where} has no private part ("d"): a signing key must be private`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new KeyMaterialError(`${where} is not a valid private JWK`);
  }
  const alg = jwk.alg ?? inferAlgorithm(jwk);
  if (typeof alg !== 'string' || !(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new KeyMaterialError(`${where} has alg ${JSON.stringify(alg)}; supported: ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  if (!keyFits(privateKey, alg as SigningAlgorithm)) {
    throw new KeyMaterialError(`${where} is a ${describeKey(privateKey)} key, which cannot sign ${alg}`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new KeyMaterialError(`${where} has use ${JSON.stringify(jwk.use)}, not "sig"`);
  const publicKey = createPublicKey(privateKey);
  const publicMembers = publicKey.export({ format: 'jwk' });
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : thumbprint(publicMembers);
  const common = { kid, alg: alg as SigningAlgorithm, use: 'sig' as const };
  const privateJwk: Jwk = { ...privateKey.export({ format: 'jwk' }), ...common };
  const publicJwk: Jwk = { ...publicMembers, ...common };
  for (const member of PRIVATE_MEMBERS) {
    if (member in publicJwk) throw new KeyMaterialError(`${where}: public JWK would carry "${member}"`);
  }
  return { kid, alg: alg as SigningAlgorithm, privateKey, publicKey, privateJwk, publicJwk };
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) over the required public members. */
export function thumbprint(jwk: JsonWebKey): string {
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function inferAlgorithm(jwk: JsonWebKey): SigningAlgorithm | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  // RSA keys sign RS256 and PS256 alike: the file has to say which.
  return undefined;
}

function keyFits(key: KeyObject, alg: SigningAlgorithm): boolean {
  const { asymmetricKeyType, asymmetricKeyDetails } = key;
  switch (alg) {
    case 'ES256':
      return asymmetricKeyType === 'ec' && asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'ES384':
      return asymmetricKeyType === 'ec' && asymmetricKeyDetails?.namedCurve === 'secp384r1';
    case 'RS256':
    case 'PS256':
      return asymmetricKeyType === 'rsa' && (asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
    case 'EdDSA':
      return asymmetricKeyType === 'ed25519';
  }
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  return [key.asymmetricKeyType, details?.namedCurve, details?.modulusLength].filter(Boolean).join(' ');
}
