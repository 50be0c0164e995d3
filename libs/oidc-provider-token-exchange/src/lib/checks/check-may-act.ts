import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';

export interface Actor {
  /** The party that will be the issued token's `act.sub`. */
  sub: string;
  /** The authenticated client making the request. */
  clientId: string;
}

/**
 * Enforces a subject token's `may_act` claim (RFC 8693 §4.4) whenever present: it must name the
 * party about to act. Every identifying member it holds has to match: `sub` (the actor),
 * `client_id` (the requesting client), `iss` (this server). A `may_act` naming nobody admits nobody.
 */
export function checkMayAct(mayAct: unknown, actor: Actor, issuer: string): void {
  if (mayAct === undefined) return;
  if (typeof mayAct !== 'object' || mayAct === null || Array.isArray(mayAct)) {
    throw TokenExchangeRefusal.invalidRequest('subject_token may_act claim is malformed');
  }
  const { sub, client_id: clientId, iss } = mayAct as { sub?: unknown; client_id?: unknown; iss?: unknown };
  if (sub === undefined && clientId === undefined) {
    throw TokenExchangeRefusal.invalidRequest('subject_token may_act claim names no actor');
  }
  const matches =
    (sub === undefined || sub === actor.sub) &&
    (clientId === undefined || clientId === actor.clientId) &&
    (iss === undefined || iss === issuer);
  if (!matches) {
    throw TokenExchangeRefusal.invalidRequest(
      `subject_token may_act does not allow ${actor.sub === actor.clientId ? 'this client' : 'this actor'} to act for its subject`,
    );
  }
}
