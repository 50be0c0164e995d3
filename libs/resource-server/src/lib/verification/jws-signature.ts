import { constants, KeyObject, verify } from 'node:crypto';
import { AccessTokenAlgorithm } from '../resource-server-options';

interface AlgorithmSpec {
  /** node:crypto's digest; `null` for EdDSA, which hashes inside. */
  readonly digest: string | null;
  readonly kty: 'EC' | 'RSA' | 'OKP';
  readonly crv?: string;
  readonly pss?: boolean;
  /** ECDSA: bytes of each of r and s in the JWS (IEEE P1363) signature. */
  readonly ecdsaPartSize?: number;
}

/** The JWS algorithms of `SUPPORTED_ALGORITHMS` and what each needs of a key (as jose 6 has them). */
const ALGORITHMS: Readonly<Record<AccessTokenAlgorithm, AlgorithmSpec>> = {
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
};

/** RSA keys below this many bits are refused, as jose (and RFC 7518 §3.3) do. */
export const MIN_RSA_MODULUS_BITS = 2048;

/** The published members of a JWK that decide which algorithm it may verify. */
export interface JwkUsage {
  readonly kty?: unknown;
  readonly crv?: unknown;
  readonly alg?: unknown;
  readonly use?: unknown;
  readonly key_ops?: unknown;
  readonly ext?: unknown;
}

/**
 * Whether a JWKS member may verify a signature made with `alg`, by the rules of jose's
 * `createLocalJWKSet`: key type and curve fit the algorithm, a key that names its algorithm is used
 * with that one only (no algorithm confusion), `use` (if any) is `sig`, `key_ops` (if any) are
 * distinct strings including `verify`, `ext` (if any) a boolean. The `kid` is matched by the caller.
 */
export function keyFitsAlgorithm(jwk: JwkUsage, alg: string): boolean {
  const spec = specOf(alg);
  if (spec === undefined || jwk.kty !== spec.kty) return false;
  if (spec.crv !== undefined && jwk.crv !== spec.crv) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.ext !== undefined && typeof jwk.ext !== 'boolean') return false;
  const ops = jwk.key_ops;
  if (ops !== undefined) {
    if (!Array.isArray(ops) || !ops.includes('verify')) return false;
    if (!ops.every((operation, index) => typeof operation === 'string' && ops.indexOf(operation) === index)) return false;
  }
  return true;
}

/** An RSA key too short to be trusted (jose refuses it at verification, not at import). */
export function isWeakRsaKey(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_MODULUS_BITS;
}

/**
 * Checks a JWS signature with node:crypto on an imported `KeyObject`: synchronous, about a third of
 * the CPU of WebCrypto's promise-based verify (which jose uses) for ES256. Any malformed input is
 * simply "not valid".
 */
export function verifyJwsSignature(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const spec = specOf(alg);
  if (spec === undefined) return false;
  try {
    if (spec.ecdsaPartSize !== undefined) {
      // OpenSSL's DER is cheaper to verify than `dsaEncoding: 'ieee-p1363'`, converted here.
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

function specOf(alg: string): AlgorithmSpec | undefined {
  return Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg as AccessTokenAlgorithm] : undefined;
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
