import type { ExchangeTarget } from './exchange-target';
import type { ExchangeTargets } from './exchange-targets';
import type { TokenExchangePolicy } from '../policy/token-exchange-policy';
import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';

/**
 * The target of a request that names none. RFC 8693 §2.1 makes `audience` and `resource`
 * optional, and Spring Security's token-exchange client sends neither. In this order: the
 * client's only allowed target, its policy's `defaultTarget`, or the one allowed target whose
 * scopes hold every requested scope. Anything else is ambiguous: `invalid_target`, asking the
 * client to name one. The caller puts the choice through every check a named target gets.
 */
export function chooseUnnamedTarget(
  requestedScope: readonly string[] | undefined,
  targets: ExchangeTargets,
  policy: TokenExchangePolicy,
): ExchangeTarget {
  const allowed = policy.targets.map((audience) => targets.byAudience(audience)).filter((target) => target !== undefined);
  const nameOne = `name one with audience or resource (this client may ask for ${policy.targets.join(', ')})`;

  if (allowed.length === 1) return allowed[0] as ExchangeTarget;
  if (policy.defaultTarget !== undefined) {
    const target = targets.byAudience(policy.defaultTarget);
    if (target !== undefined) return target;
  }
  if (requestedScope === undefined || requestedScope.length === 0) {
    throw TokenExchangeRefusal.invalidTarget(`no audience or resource given and no scope to choose a target by: ${nameOne}`);
  }
  const offering = allowed.filter((target) => requestedScope.every((scope) => target.scopes.includes(scope)));
  if (offering.length === 1) return offering[0] as ExchangeTarget;
  throw TokenExchangeRefusal.invalidTarget(
    offering.length === 0
      ? `no audience or resource given and none of this client's targets offers every requested scope: ${nameOne}`
      : `no audience or resource given and several of this client's targets offer the requested scope: ${nameOne}`,
  );
}
