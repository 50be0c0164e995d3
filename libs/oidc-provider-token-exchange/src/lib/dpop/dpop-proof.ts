import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { isSupportedAlgorithm, keyFitsAlgorithm, verifyJwsSignature } from '../verification/jws-signature';
import type { DpopNonces } from './dpop-nonces';
import { jwkThumbprint } from './jwk-thumbprint';

/** The algorithms proofs may be signed with by default (RFC 9449 §5.1 `dpop_signing_alg_values_supported`). */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'];
/** Seconds a proof's `iat` may be off the server's clock, either way, by default. */
export const DEFAULT_DPOP_IAT_WINDOW = 60;

/** Private members of EC, OKP and RSA JWKs (RFC 7517/7518/8037), and symmetric `k`: never in a proof. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Below this an RSA proof key proves little (jose and oidc-provider refuse them too). */
const MIN_RSA_BITS = 2048;

/** What a proof is checked against: the request it came with. */
export interface DpopProofExpectations {
  /** The request's method (`htm`). */
  method: string;
  /**
   * The URL the server is known by for this endpoint (`htu`), not one built from the Host header;
   * several when callers inside its network reach it by other names (a proxy, a balancer).
   */
  url: string | readonly string[];
  /** Its access token, on resource requests (`ath`); absent at the token endpoint. */
  accessToken?: string;
  /** Seconds since the epoch. */
  now: number;
  /** Seconds `iat` may be off `now`, either way. */
  iatWindow: number;
  algorithms: readonly string[];
  /** Server nonces; `undefined`: this server issues none (a proof carrying one is refused). */
  nonces?: DpopNonces;
  /** Whether a proof without a valid nonce is refused with `use_dpop_nonce`. */
  requireNonce: boolean;
}

/** A proof that passed every check but replay (which needs the shared store: the caller's). */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key, computed here: the token's `cnf.jkt`. */
  thumbprint: string;
  jti: string;
  iat: number;
}

/** Why a proof is refused: `use_dpop_nonce` asks the client to retry with the server's nonce (§8). */
export class DpopProofError extends Error {
  readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce';

  constructor(error: 'invalid_dpop_proof' | 'use_dpop_nonce', description: string) {
    super(description);
    this.name = 'DpopProofError';
    this.error = error;
  }
}

const invalid = (description: string): DpopProofError => new DpopProofError('invalid_dpop_proof', description);

/**
 * RFC 9449 §4.3 checks of one `DPoP` header value, mirroring oidc-provider's own validation
 * (lib/helpers/validate_dpop.js) with node:crypto: one compact JWS, `typ: dpop+jwt`, an allowed
 * asymmetric `alg`, a public `jwk` (no private member) that fits it and verifies the signature,
 * `jti`, `htm` and `htu` (query and fragment ignored, URLs compared after WHATWG normalisation:
 * lowercase scheme and host, default port dropped), `iat` within the window, `ath` when given
 * an access token, and the nonce. The description names the failed check, never the proof.
 */
export function verifyDpopProof(proof: string, expect: DpopProofExpectations): VerifiedDpopProof {
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) throw invalid('DPoP proof is not a compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = decodeJson(encodedHeader);
  const payload = decodeJson(encodedPayload);
  if (header === undefined || payload === undefined) throw invalid('DPoP proof is not a compact JWS');

  if (header['typ'] !== 'dpop+jwt') throw invalid('DPoP proof typ must be dpop+jwt');
  const alg = header['alg'];
  if (typeof alg !== 'string' || !expect.algorithms.includes(alg) || !isSupportedAlgorithm(alg)) {
    throw invalid(`DPoP proof alg must be one of ${expect.algorithms.join(' ')}`);
  }
  if (header['crit'] !== undefined) throw invalid('DPoP proof has critical header parameters this server does not support');
  const jwk = header['jwk'];
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid('DPoP proof has no jwk header');
  const publicJwk = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => member in publicJwk)) throw invalid('DPoP proof jwk must be a public key');
  if (!keyFitsAlgorithm(publicJwk, alg)) throw invalid('DPoP proof jwk does not fit its alg');
  const thumbprint = jwkThumbprint(publicJwk);
  if (thumbprint === undefined) throw invalid('DPoP proof jwk is not a public key of a supported type');
  const key = importKey(publicJwk);
  if (key === undefined) throw invalid('DPoP proof jwk is not a valid public key');
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw invalid(`DPoP proof RSA key must be at least ${MIN_RSA_BITS} bits`);
  }
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
  if (!verifyJwsSignature(alg, key, signingInput, Buffer.from(encodedSignature, 'base64url'))) {
    throw invalid('DPoP proof signature is invalid');
  }

  const { jti, iat, htm, htu, nonce } = payload;
  if (typeof jti !== 'string' || jti === '') throw invalid('DPoP proof must have a jti string');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('DPoP proof must have a numeric iat');
  if (htm !== expect.method) throw invalid('DPoP proof htm mismatch');
  if (typeof htu !== 'string' || !namesEndpoint(htu, expect.url)) throw invalid('DPoP proof htu mismatch');
  if (expect.accessToken !== undefined) {
    if (payload['ath'] !== createHash('sha256').update(expect.accessToken).digest('base64url')) throw invalid('DPoP proof ath mismatch');
  }
  if (Math.abs(expect.now - iat) > expect.iatWindow) {
    if (expect.nonces !== undefined) throw new DpopProofError('use_dpop_nonce', 'DPoP proof iat is not recent enough, use a DPoP nonce');
    throw invalid('DPoP proof iat is not recent enough');
  }
  if (nonce !== undefined) {
    if (typeof nonce !== 'string') throw invalid('DPoP proof nonce must be a string');
    if (expect.nonces === undefined) throw invalid('DPoP nonces are not supported');
    if (!expect.nonces.accepts(nonce)) throw new DpopProofError('use_dpop_nonce', 'invalid nonce in DPoP proof');
  } else if (expect.requireNonce) {
    throw new DpopProofError('use_dpop_nonce', 'nonce is required in the DPoP proof');
  }
  return { thumbprint, jti, iat };
}

/** Whether a proof's `htu` names one of the endpoint's configured URLs. */
function namesEndpoint(htu: string, expected: string | readonly string[]): boolean {
  return typeof expected === 'string' ? sameUrl(htu, expected) : expected.some((url) => sameUrl(htu, url));
}

/** Whether a proof's `htu` names `expected`, ignoring its query and fragment (RFC 9449 §4.3 step 9). */
function sameUrl(htu: string, expected: string): boolean {
  const actual = URL.parse(htu);
  const wanted = URL.parse(expected);
  if (actual === null || wanted === null) return false;
  actual.search = '';
  actual.hash = '';
  wanted.search = '';
  wanted.hash = '';
  return actual.href === wanted.href;
}

function importKey(jwk: Record<string, unknown>): KeyObject | undefined {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return undefined;
  }
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
