import { DecodedToken, scopesOf } from './decoded-token';

/** One thing the demo expects of a token, and whether it holds. */
export interface TokenCheck {
  readonly ok: boolean;
  readonly label: string;
}

export interface ExchangeExpectations {
  /** The audience the exchange asked for (`message-service`). */
  readonly audience: string;
  /** The client that exchanged, expected as `client_id` and as `act.sub` (`user-service`). */
  readonly actor: string;
}

/**
 * What RFC 8693 and Baton's rules promise about an exchanged token, compared with the token it
 * was exchanged from: same subject and issuer, the new audience, a narrower scope, the exchanging
 * client recorded as actor, and a lifetime that does not outlast the subject token.
 */
export function checkExchangedToken(
  subject: DecodedToken,
  exchanged: DecodedToken,
  expected: ExchangeExpectations,
): TokenCheck[] {
  const before = subject.claims;
  const after = exchanged.claims;
  const subjectScopes = scopesOf(before);
  const exchangedScopes = scopesOf(after);
  const widened = exchangedScopes.filter((scope) => !subjectScopes.includes(scope));
  const act = after.act;
  return [
    { ok: exchanged.header.typ === 'at+jwt', label: `typ is at+jwt (an RFC 9068 access token), got ${String(exchanged.header.typ)}` },
    { ok: after.iss !== undefined && after.iss === before.iss, label: `same issuer: ${String(after.iss)}` },
    { ok: after.sub !== undefined && after.sub === before.sub, label: `same sub: ${String(after.sub)} (was ${String(before.sub)})` },
    {
      ok: after.aud === expected.audience && before.aud !== expected.audience,
      label: `aud ${String(after.aud)} (was ${String(before.aud)}; asked for ${expected.audience})`,
    },
    {
      ok: exchangedScopes.length > 0 && widened.length === 0 && exchangedScopes.length < subjectScopes.length,
      label:
        widened.length > 0
          ? `scope must stay within the subject token's, but ${widened.join(' ')} was added`
          : `narrower scope: "${exchangedScopes.join(' ')}" within "${subjectScopes.join(' ')}"`,
    },
    {
      ok: typeof act === 'object' && act !== null && act.sub === expected.actor,
      label: `act names the actor: ${JSON.stringify(act ?? null)} (expected sub ${expected.actor})`,
    },
    { ok: after.client_id === expected.actor, label: `client_id ${String(after.client_id)} (was ${String(before.client_id)})` },
    {
      ok: typeof after.exp === 'number' && typeof before.exp === 'number' && after.exp <= before.exp,
      label: `exp not later: ${String(after.exp)} <= ${String(before.exp)}`,
    },
    { ok: after.jti !== undefined && after.jti !== before.jti, label: 'a new token (its own jti), not the same one relabelled' },
  ];
}
