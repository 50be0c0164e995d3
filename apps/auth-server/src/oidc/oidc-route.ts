import type { IncomingMessage } from 'node:http';
import { DISCOVERY_PATHS, OIDC_ROUTES } from './oidc.constants';

const OIDC_PATHS: ReadonlySet<string> = new Set([...Object.values(OIDC_ROUTES), ...DISCOVERY_PATHS]);

/**
 * The route label of a request oidc-provider answered: its endpoint path (`/oauth2/token`), which
 * Express never sees as a route since the provider is mounted as middleware. Other paths are
 * left to the caller (`unmatched`).
 */
export function oidcRouteOf(request: IncomingMessage & { originalUrl?: string }): string | undefined {
  const path = (request.originalUrl ?? request.url ?? '').split('?')[0] ?? '';
  return OIDC_PATHS.has(path) ? path : undefined;
}
