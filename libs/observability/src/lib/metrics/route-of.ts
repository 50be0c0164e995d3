import type { IncomingMessage } from 'node:http';

/** How Express marks the route that answered a request. */
type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/** The `route` label of requests no route matched: one value, whatever the path was. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route template that answered a request (`/api/messages/:id`), never the raw path, so a
 * metric or log field has a small, known set of values. Requests Express did not route are asked
 * of `fallback` (a mounted app's known paths), else they are `unmatched`.
 *
 * A wildcard "route" is not an answer: Nest mounts middleware for all paths (`{*path}`) and its
 * not-found handler as such routes, and Express leaves the last one it passed on the request.
 */
export function routeOf(request: IncomingMessage, fallback: (request: IncomingMessage) => string | undefined): string {
  const routed = request as RoutedRequest;
  const path = routed.route?.path;
  if (typeof path === 'string' && !path.includes('*')) return `${routed.baseUrl ?? ''}${path}`;
  return fallback(request) ?? UNMATCHED_ROUTE;
}
