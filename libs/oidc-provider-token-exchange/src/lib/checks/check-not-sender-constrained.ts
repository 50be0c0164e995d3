import type { VerifiedAccessToken } from '../verification/verified-access-token';
import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';

/**
 * A token carrying `cnf` (RFC 7800; DPoP's `jkt`, mTLS's `x5t#S256`) is only good together with
 * proof of its key. This server cannot check that proof yet, and issuing a bearer token for it
 * would launder a sender-constrained token into one anybody holding it can use (issue 11, H13).
 * Refused until proof of possession is supported (issue 16).
 */
export function checkNotSenderConstrained(token: VerifiedAccessToken, parameter: 'subject_token' | 'actor_token'): void {
  if (token.cnf !== undefined) {
    throw TokenExchangeRefusal.invalidRequest(
      `${parameter} is sender-constrained (cnf): proof of possession is not supported, so it cannot be exchanged`,
    );
  }
}
