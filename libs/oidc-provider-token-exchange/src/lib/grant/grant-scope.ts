import { TokenExchangeRefusal } from './token-exchange-refusal';

export interface ScopeSources {
  /** Scopes asked for; `undefined` when the request has no `scope` parameter. */
  requested?: readonly string[];
  subject: readonly string[];
  target: readonly string[];
  /** The client's policy limit; `undefined`: none beyond subject and target. */
  policy?: readonly string[];
}

/**
 * The scope of the issued token: requested ⊆ subject's ∩ target's ∩ policy; without a request,
 * that whole intersection. Never wider than the subject token (no upscoping, unlike Keycloak's
 * default), never empty.
 */
export function grantScope({ requested, subject, target, policy }: ScopeSources): string[] {
  const subjectSet = new Set(subject);
  const targetSet = new Set(target);
  const policySet = policy === undefined ? undefined : new Set(policy);
  const available = (scope: string): boolean =>
    subjectSet.has(scope) && targetSet.has(scope) && (policySet === undefined || policySet.has(scope));

  if (requested !== undefined) {
    for (const scope of requested) {
      if (!subjectSet.has(scope)) {
        throw TokenExchangeRefusal.invalidScope(`scope ${scope} is wider than the subject token's scope`);
      }
      if (!targetSet.has(scope)) throw TokenExchangeRefusal.invalidScope(`scope ${scope} is not offered by the target`);
      if (policySet !== undefined && !policySet.has(scope)) {
        throw TokenExchangeRefusal.invalidScope(`scope ${scope} is beyond this client's exchange policy`);
      }
    }
    if (requested.length === 0) throw TokenExchangeRefusal.invalidScope('the requested scope is empty');
    return [...requested];
  }

  const granted = subject.filter((scope, index) => available(scope) && subject.indexOf(scope) === index);
  if (granted.length === 0) {
    throw TokenExchangeRefusal.invalidScope(
      "no scope is left: the subject token's scope, the target's and this client's policy have none in common",
    );
  }
  return granted;
}
