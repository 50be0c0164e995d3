import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { SCOPES_KEY } from '../decorators/scopes.decorator';

/** Every scope that a route of the app requires with `@Scopes(...)`, on a method or a controller, sorted. */
export function routeScopes(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): string[] {
  const scopes = new Set<string>();
  const add = (target: object | undefined) => {
    if (target === undefined) return;
    for (const scope of reflector.get<string[] | undefined>(SCOPES_KEY, target as () => void) ?? []) scopes.add(scope);
  };
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    add(metatype);
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const method = prototype[name];
      if (typeof method === 'function') add(method);
    }
  }
  return [...scopes].sort();
}
