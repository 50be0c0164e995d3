import type { ExchangeTarget } from './exchange-target';
import type { ExchangeTargets } from './exchange-targets';
import type { TokenExchangePolicy } from './token-exchange.policy';
import { TokenExchangeError } from './token-exchange.error';

/**
 * The one resource server a request asks for, from its `audience` and `resource` parameters
 * (RFC 8693 §2.1, RFC 8707): registered, allowed by the client's policy, and only one of it.
 * A `resource` must be an absolute URI without fragment; an `audience` may be the logical name or
 * the resource URI. There is no default: a request that names no target is refused.
 */
export function resolveTarget(
  request: { audiences: readonly string[]; resources: readonly string[] },
  targets: ExchangeTargets,
  policy: TokenExchangePolicy,
): ExchangeTarget {
  const found = new Map<string, ExchangeTarget>();

  for (const resource of request.resources) {
    const url = URL.parse(resource);
    if (url === null) throw TokenExchangeError.invalidTarget('resource must be an absolute URI');
    if (resource.includes('#')) throw TokenExchangeError.invalidTarget('resource must not contain a fragment');
    const target = targets.byResource(resource);
    if (target === undefined) throw TokenExchangeError.invalidTarget('resource is not a registered resource server');
    found.set(target.audience, target);
  }
  for (const audience of request.audiences) {
    const target = targets.byAudience(audience) ?? targets.byResource(audience);
    if (target === undefined) throw TokenExchangeError.invalidTarget('audience is not a registered resource server');
    found.set(target.audience, target);
  }

  if (found.size === 0) throw TokenExchangeError.invalidTarget('audience or resource is required');
  if (found.size > 1) throw TokenExchangeError.invalidTarget('only one target (audience or resource) per request');
  const [target] = [...found.values()];
  if (!policy.targets.includes(target.audience)) {
    throw TokenExchangeError.invalidTarget(`this client may not exchange tokens for ${target.audience}`);
  }
  return target;
}
