import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';
import type { VerifiedAccessToken } from '../verification/verified-access-token';

/**
 * A token carrying `cnf` (RFC 7800) is only good together with proof of its key. A DPoP-bound one
 * (`cnf.jkt`, RFC 9449 §6) is accepted when the exchange request carries a valid DPoP proof made
 * with that very key (`proofThumbprint`, computed by the server from the proof's `jwk`); the
 * issued token is then bound to the same key, so a bound token is never laundered into a bearer
 * one (issue 11, H13). Any other confirmation method (mTLS's `x5t#S256`, ...) cannot be proven
 * here and is refused.
 */
export function checkSenderConstraint(
  token: VerifiedAccessToken,
  parameter: 'subject_token' | 'actor_token',
  proofThumbprint: string | undefined,
): void {
  if (token.cnf === undefined) return;
  const cnf = token.cnf;
  const jkt = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? (cnf as Record<string, unknown>)['jkt'] : undefined;
  if (typeof jkt !== 'string' || Object.keys(cnf as object).length !== 1) {
    throw TokenExchangeRefusal.invalidRequest(
      `${parameter} is sender-constrained by a method other than DPoP (cnf): it cannot be exchanged`,
    );
  }
  if (proofThumbprint === undefined) {
    throw TokenExchangeRefusal.invalidDpopProof(`${parameter} is DPoP-bound: the request must carry a DPoP proof of its key`);
  }
  if (proofThumbprint !== jkt) {
    throw TokenExchangeRefusal.invalidDpopProof(`the DPoP proof's key is not the one ${parameter} is bound to (cnf.jkt)`);
  }
}
