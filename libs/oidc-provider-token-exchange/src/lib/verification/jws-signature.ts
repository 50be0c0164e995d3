import { constants, KeyObject, verify } from 'node:crypto';
import type { PublicJwk } from './verification-keys';

interface AlgorithmSpec {
  digest: string | null;
  kty: string;
  crv?: string;
  pss?: boolean;
  /** ECDSA: bytes of each of r and s in the JWS (IEEE P1363) signature. */
  ecdsaPartSize?: number;
}

/** The asymmetric JWS algorithms a Baton signing key can use (HS* and `none` are never accepted). */
const ALGORITHMS: Record<string, AlgorithmSpec> = {
  ES256: { digest: 'sha256', kty: 'EC', crv: 'P-256', ecdsaPartSize: 32 },
  ES384: { digest: 'sha384', kty: 'EC', crv: 'P-384', ecdsaPartSize: 48 },
  ES512: { digest: 'sha512', kty: 'EC', crv: 'P-521', ecdsaPartSize: 66 },
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
    if (spec.ecdsaPartSize !== undefined) {
      // Node's own `dsaEncoding: 'ieee-p1363'` costs about a third more CPU than handing it DER
      // converted here (measured: bench/auth-server/verify.bench.mts).
      const der = ecdsaSignatureToDer(signature, spec.ecdsaPartSize);
      return der !== undefined && verify(spec.digest, signingInput, key, der);
    }
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

/**
 * A JWS ECDSA signature (r ‖ s, each `partSize` bytes: IEEE P1363) as the DER
 * `SEQUENCE { INTEGER r, INTEGER s }` OpenSSL verifies; `undefined` when the length is wrong.
 */
export function ecdsaSignatureToDer(signature: Buffer, partSize: number): Buffer | undefined {
  if (signature.length !== partSize * 2) return undefined;
  const r = derInteger(signature.subarray(0, partSize));
  const s = derInteger(signature.subarray(partSize));
  const length = r.length + s.length;
  // At most 2 × (2 + 1 + 66) = 138 bytes for P-521: one length byte, long form above 127.
  const header = length < 0x80 ? Buffer.from([0x30, length]) : Buffer.from([0x30, 0x81, length]);
  return Buffer.concat([header, r, s], header.length + length);
}

/** A non-negative big-endian integer as DER: leading zeros dropped, one added when the top bit is set. */
function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const value = bytes.subarray(start);
  const pad = (value[0] ?? 0) & 0x80 ? 1 : 0;
  const encoded = Buffer.alloc(2 + pad + value.length);
  encoded[0] = 0x02;
  encoded[1] = pad + value.length;
  value.copy(encoded, 2 + pad);
  return encoded;
}
