import type { ExchangeTarget } from './exchange-target';
import { normalizeResource } from './normalize-resource';

/**
 * The registered resource servers, found by audience or by resource URI. URIs are compared in
 * their normalised form (`http://localhost:8081` and `http://localhost:8081/` are one resource).
 */
export class ExchangeTargets {
  private readonly byAudienceMap = new Map<string, ExchangeTarget>();
  private readonly byResourceMap = new Map<string, ExchangeTarget>();

  constructor(targets: Iterable<ExchangeTarget>) {
    for (const target of targets) {
      this.byAudienceMap.set(target.audience, target);
      this.byResourceMap.set(normalizeResource(target.resource), target);
    }
  }

  byAudience(audience: string): ExchangeTarget | undefined {
    return this.byAudienceMap.get(audience);
  }

  byResource(resource: string): ExchangeTarget | undefined {
    return this.byResourceMap.get(normalizeResource(resource));
  }
}
