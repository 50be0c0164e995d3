import { constants, KeyObject, verify } from 'node:crypto';
import type { PublicJwk } from './verification-keys';

interface AlgorithmSpec {
  digest: string | null;
  kty: string;
  crv?: string;
  pss?: boolean;
  ecdsa?: boolean;
}

/** The asymmetric JWS algorithms a Baton signing key can use (HS* and `none` are never accepted). */
const ALGORITHMS: Record<string, AlgorithmSpec> = {
  ES256: { digest: 'sha256', kty: 'EC', crv: 'P-256', ecdsa: true },
  ES384: { digest: 'sha384', kty: 'EC', crv: 'P-384', ecdsa: true },
  ES512: { digest: 'sha512', kty: 'EC', crv: 'P-521', ecdsa: true },
  RS256: { digest: 'sha256', kty: 'RSA' },
  RS384: { digest: 'sha384', kty: 'RSA' },
  RS512: { digest: 'sha512', kty: 'RSA' },
  PS256: { digest: 'sha256', kty: 'RSA', pss: true },
  PS384: { digest: 'sha384', kty: 'RSA', pss: true },
  PS512: { digest: 'sha512', kty: 'RSA', pss: true },
  EdDSA: { digest: null, kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { digest: null, kty: 'OKP', crv: 'Ed25519' },
};

export function isSupportedAlgorithm(alg: string): boolean {
  return Object.hasOwn(ALGORITHMS, alg);
}

/**
 * Whether `jwk` may verify a signature made with `alg`: the key type and curve must fit, and a key
 * that names its algorithm is used with that one only (no algorithm confusion).
 */
export function keyFitsAlgorithm(jwk: PublicJwk, alg: string): boolean {
  const spec = ALGORITHMS[alg];
  if (spec === undefined || jwk.kty !== spec.kty) return false;
  if (spec.crv !== undefined && jwk.crv !== spec.crv) return false;
  return jwk.alg === undefined || jwk.alg === alg;
}

/** Checks a JWS signature with node:crypto; any malformed input is simply "not valid". */
export function verifyJwsSignature(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const spec = ALGORITHMS[alg];
  if (spec === undefined) return false;
  try {
    if (spec.ecdsa) return verify(spec.digest, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (spec.pss) {
      return verify(
        spec.digest,
        signingInput,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    return verify(spec.digest, signingInput, key, signature);
  } catch {
    return false;
  }
}
