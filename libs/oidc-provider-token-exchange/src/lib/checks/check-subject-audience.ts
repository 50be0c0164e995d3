import type { TokenExchangePolicy } from '../policy/token-exchange-policy';
import type { VerifiedAccessToken } from '../verification/verified-access-token';
import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';

/**
 * A client may only present tokens issued to it: one whose `aud` names a subject audience its
 * policy lists (by default its own resource). Returns that audience (the "from" of the exchange).
 * Spring Authorization Server skips this check; RFC 8693 §2.2.2 makes it `invalid_request`.
 */
export function checkSubjectAudience(
  token: VerifiedAccessToken,
  policy: TokenExchangePolicy,
  parameter: 'subject_token' | 'actor_token',
): string {
  const audience = token.aud.find((candidate) => policy.subjectAudiences.includes(candidate));
  if (audience === undefined) {
    throw TokenExchangeRefusal.invalidRequest(
      `${parameter} was not issued to this client (its audience ${token.aud.join(' ')} is not one this client may exchange)`,
    );
  }
  return audience;
}
