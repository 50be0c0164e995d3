import type { VerifiedAccessToken } from '../verification/verified-access-token';
import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';

/**
 * Impersonation (RFC 8693 §1.1) issues a token without `act`: the client is indistinguishable
 * from the subject. So it takes no actor token (that actor would be recorded nowhere), and it
 * does not accept a subject token that already records actors: dropping that `act` chain would
 * erase who acted before, which delegation exists to keep.
 */
export function checkImpersonation(subject: VerifiedAccessToken, request: { actorToken?: string }): void {
  if (request.actorToken !== undefined) {
    throw TokenExchangeRefusal.invalidRequest(
      "this client's exchange policy is impersonation, which cannot be combined with an actor_token (the issued token records no actor)",
    );
  }
  if (subject.act !== undefined) {
    throw TokenExchangeRefusal.invalidRequest(
      "subject_token records an actor (act); this client's exchange policy is impersonation, which would erase it",
    );
  }
}
