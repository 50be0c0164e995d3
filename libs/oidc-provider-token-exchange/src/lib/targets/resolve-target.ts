import { chooseUnnamedTarget } from './choose-unnamed-target';
import type { ExchangeTarget } from './exchange-target';
import type { ExchangeTargets } from './exchange-targets';
import type { TokenExchangePolicy } from '../policy/token-exchange-policy';
import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';

/**
 * The one resource server a request asks for, from its `audience` and `resource` parameters
 * (RFC 8693 §2.1, RFC 8707): registered, allowed by the client's policy, and only one of it.
 * A `resource` must be an absolute URI without fragment; an `audience` may be the logical name or
 * the resource URI. A request that names none gets the one its client's policy makes unambiguous
 * (`chooseUnnamedTarget`), then the same policy check as a named one.
 */
export function resolveTarget(
  request: { audiences: readonly string[]; resources: readonly string[]; scope?: readonly string[] },
  targets: ExchangeTargets,
  policy: TokenExchangePolicy,
): ExchangeTarget {
  const found = new Map<string, ExchangeTarget>();

  for (const resource of request.resources) {
    const url = URL.parse(resource);
    if (url === null) throw TokenExchangeRefusal.invalidTarget('resource must be an absolute URI');
    if (resource.includes('#')) throw TokenExchangeRefusal.invalidTarget('resource must not contain a fragment');
    const target = targets.byResource(resource);
    if (target === undefined) throw TokenExchangeRefusal.invalidTarget('resource is not a registered resource server');
    found.set(target.audience, target);
  }
  for (const audience of request.audiences) {
    const target = targets.byAudience(audience) ?? targets.byResource(audience);
    if (target === undefined) throw TokenExchangeRefusal.invalidTarget('audience is not a registered resource server');
    found.set(target.audience, target);
  }

  if (found.size > 1) throw TokenExchangeRefusal.invalidTarget('only one target (audience or resource) per request');
  const [named] = [...found.values()];
  const target = named ?? chooseUnnamedTarget(request.scope, targets, policy);
  if (!policy.targets.includes(target.audience)) {
    throw TokenExchangeRefusal.invalidTarget(`this client may not exchange tokens for ${target.audience}`);
  }
  return target;
}
