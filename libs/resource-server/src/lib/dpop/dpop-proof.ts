import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { DpopProofProblem } from '../errors/bearer-problems';
import { decodeBase64urlSegment, decodeJsonObject } from '../token/compact-access-token';
import { isWeakRsaKey, keyFitsAlgorithm, verifyJwsSignature } from '../verification/jws-signature';
import { jwkThumbprint } from './jwk-thumbprint';

/** JWK members that only a private (or symmetric) key has: a proof carrying one is refused. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
/** The public members each key type is imported from; anything else in the `jwk` is ignored. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};
/** Longest `jti` accepted: a UUID or 32 random bytes fit many times over; a megabyte does not. */
const MAX_JTI_LENGTH = 256;

/** A proof's key as the header named it: imported once, with its thumbprint. */
export interface ProofKey {
  readonly alg: string;
  readonly key: KeyObject;
  /** RFC 7638 SHA-256 thumbprint, what the token's `cnf.jkt` must equal. */
  readonly thumbprint: string;
}

/** What a DPoP proof must fit: the request it came with and the token it goes with. */
export interface DpopProofExpectation {
  /** The request's method, e.g. `GET`. */
  readonly method: string;
  /** The request's URL as the service is publicly known, without query or fragment. */
  readonly url: string;
  /** The access token of the request (`ath` is its hash). */
  readonly accessToken: string;
  /** Now, in seconds since the epoch. */
  readonly nowSeconds: number;
  /** `iat` may differ from now by this much either way. */
  readonly iatWindowSeconds: number;
}

/** A proof whose signature and claims checked out, before the nonce, key binding and replay checks. */
export interface CheckedDpopProof {
  readonly jti: string;
  readonly iat: number;
  readonly nonce: string | undefined;
  readonly thumbprint: string;
}

/** Thrown by `checkDpopProof` with the fixed problem name; the caller turns it into the HTTP answer. */
export class DpopProofRefusal extends Error {
  constructor(readonly problem: DpopProofProblem) {
    super(problem);
    this.name = 'DpopProofRefusal';
  }
}

/**
 * The checks of RFC 9449 §4.3 on one proof, in its order: a compact JWS, `typ` dpop+jwt, an
 * accepted `alg`, a public `jwk` that fits it (no private member), a valid signature with that key,
 * then the claims: `jti`, `htm` = the method, `htu` = the URL (query and fragment ignored, RFC 3986
 * normalised by WHATWG URL parsing: scheme and host lower-case, default port dropped), `iat` within
 * the window, `ath` = base64url(SHA-256(token)). `keys` caches imported keys by encoded header (a
 * client sends the same header with every proof).
 */
export function checkDpopProof(
  proof: string,
  expected: DpopProofExpectation,
  algorithms: readonly string[],
  keys: ProofKeyCache,
): CheckedDpopProof {
  const parts = proof.split('.');
  if (parts.length !== 3) throw new DpopProofRefusal('malformed');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const key = keys.get(encodedHeader) ?? keys.set(encodedHeader, importProofKey(encodedHeader, algorithms));
  const signature = decodeBase64urlSegment(encodedSignature);
  if (signature === undefined) throw new DpopProofRefusal('malformed');
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1');
  if (!verifyJwsSignature(key.alg, key.key, signingInput, signature)) throw new DpopProofRefusal('signature');
  const claims = decodeJsonObject(encodedPayload);
  if (claims === undefined) throw new DpopProofRefusal('malformed');

  const { jti, htm, htu, iat, ath, nonce } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw new DpopProofRefusal('claims');
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new DpopProofRefusal('claims');
  }
  if (nonce !== undefined && typeof nonce !== 'string') throw new DpopProofRefusal('claims');
  if (htm !== expected.method) throw new DpopProofRefusal('method');
  if (normalisedTargetUri(htu) !== expected.url) throw new DpopProofRefusal('url');
  if (Math.abs(expected.nowSeconds - iat) > expected.iatWindowSeconds) throw new DpopProofRefusal('time');
  if (ath !== accessTokenHash(expected.accessToken)) throw new DpopProofRefusal('accessTokenHash');
  return { jti, iat, nonce, thumbprint: key.thumbprint };
}

/** RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * An http(s) URL as `htu` is compared: RFC 3986 normalisation by WHATWG URL parsing, without
 * query and fragment; `undefined` when it is not an absolute http(s) URL.
 */
export function normalisedTargetUri(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.origin}${url.pathname}`;
}

function importProofKey(encodedHeader: string, algorithms: readonly string[]): ProofKey {
  const header = decodeJsonObject(encodedHeader, 'refuse');
  if (header === undefined) throw new DpopProofRefusal('malformed');
  const { typ, alg, jwk, crit } = header;
  if (typ !== 'dpop+jwt') throw new DpopProofRefusal('type');
  if (typeof alg !== 'string' || !algorithms.includes(alg)) throw new DpopProofRefusal('algorithm');
  if (crit !== undefined) throw new DpopProofRefusal('malformed');
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new DpopProofRefusal('key');
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(members, member))) throw new DpopProofRefusal('privateKey');
  if (!keyFitsAlgorithm(members, alg)) throw new DpopProofRefusal('key');
  const thumbprint = jwkThumbprint(members);
  const kty = members['kty'];
  if (thumbprint === undefined || typeof kty !== 'string' || !Object.hasOwn(PUBLIC_MEMBERS, kty)) throw new DpopProofRefusal('key');
  const publicJwk = Object.fromEntries((PUBLIC_MEMBERS[kty] ?? []).map((member) => [member, members[member]]));
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicJwk, format: 'jwk' });
  } catch {
    throw new DpopProofRefusal('key');
  }
  if (isWeakRsaKey(key)) throw new DpopProofRefusal('key');
  return { alg, key, thumbprint };
}

/**
 * Imported proof keys by encoded proof header, bounded (oldest dropped first): a key is imported
 * once per client, not once per call. Refused headers are not cached.
 */
export class ProofKeyCache {
  private readonly keys = new Map<string, ProofKey>();

  constructor(private readonly maxEntries = 1_000) {}

  get(encodedHeader: string): ProofKey | undefined {
    return this.keys.get(encodedHeader);
  }

  set(encodedHeader: string, key: ProofKey): ProofKey {
    if (this.keys.size >= this.maxEntries) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    this.keys.set(encodedHeader, key);
    return key;
  }
}
