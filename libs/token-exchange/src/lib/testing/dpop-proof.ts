import { EmbeddedJWK, JWK, calculateJwkThumbprint, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';

/** What a DPoP proof must match, as a server checks it (RFC 9449 §4.3); each part optional. */
export interface ExpectedDpopProof {
  /** `htm`. */
  method?: string;
  /** `htu`, compared after dropping the query and fragment of this URL. */
  url?: string;
  /** The access token sent with it: `ath` must be its SHA-256 (base64url). */
  accessToken?: string;
  /** The nonce the server gave. */
  nonce?: string;
  /** Largest distance of `iat` from now, in seconds (default 60). */
  maxAgeSeconds?: number;
}

/** A proof whose signature, header and claims were checked. */
export interface CheckedDpopProof {
  /** The proof's public key (its `jwk` header). */
  jwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of `jwk`: what a bound token's `cnf.jkt` must be. */
  thumbprint: string;
  alg: string;
  claims: { jti: string; htm: string; htu: string; iat: number; ath?: string; nonce?: string };
}

/** A DPoP proof that does not hold, with what is wrong (never the proof itself). */
export class DpopProofError extends Error {
  override readonly name = 'DpopProofError';
}

/**
 * Checks a DPoP proof as a resource or auth server would, with `jose` (for fake servers in
 * tests; a real server uses its own verifier): `typ dpop+jwt`, an asymmetric `alg`, a public
 * `jwk` that verifies the signature, `jti`, `htm`, `htu`, `iat` within the window, and `ath` and
 * `nonce` when expected. Throws a `DpopProofError` saying what is wrong.
 */
export async function checkDpopProof(proof: string | undefined, expected: ExpectedDpopProof = {}): Promise<CheckedDpopProof> {
  if (proof === undefined || proof === '') throw new DpopProofError('no DPoP proof');
  let verified;
  try {
    verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'] });
  } catch (error) {
    throw new DpopProofError(`proof does not verify: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { payload, protectedHeader } = verified;
  const jwk = protectedHeader.jwk as JWK;
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
    if (member in jwk) throw new DpopProofError(`jwk carries the private member ${member}`);
  }
  const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti === '') throw new DpopProofError('no jti');
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') throw new DpopProofError('htm, htu or iat missing');
  if (expected.method !== undefined && htm !== expected.method) throw new DpopProofError(`htm ${htm}, expected ${expected.method}`);
  if (expected.url !== undefined) {
    const url = new URL(expected.url);
    const wanted = `${url.protocol}//${url.host}${url.pathname}`;
    if (htu !== wanted) throw new DpopProofError(`htu ${htu}, expected ${wanted}`);
  }
  const maxAge = expected.maxAgeSeconds ?? 60;
  if (Math.abs(Date.now() / 1000 - iat) > maxAge) throw new DpopProofError('iat outside the window');
  if (expected.accessToken !== undefined) {
    const hash = createHash('sha256').update(expected.accessToken).digest('base64url');
    if (ath !== hash) throw new DpopProofError('ath is not the hash of the access token');
  }
  if (expected.nonce !== undefined && nonce !== expected.nonce) throw new DpopProofError('nonce missing or stale');
  return {
    jwk,
    thumbprint: await calculateJwkThumbprint(jwk, 'sha256'),
    alg: protectedHeader.alg,
    claims: {
      jti,
      htm,
      htu,
      iat,
      ...(typeof ath === 'string' ? { ath } : {}),
      ...(typeof nonce === 'string' ? { nonce } : {}),
    },
  };
}
