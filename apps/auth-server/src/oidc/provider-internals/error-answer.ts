import type { KoaContextWithOIDC } from 'oidc-provider';

/** The Koa context of an oidc-provider request, as middleware (`provider.use`) and events see it. */
type ProviderContext = Pick<KoaContextWithOIDC, 'status' | 'body' | 'set'>;

/** What replaces an error answer of oidc-provider's; fields left out keep their value. */
export interface ErrorAnswerChange {
  readonly status?: number;
  readonly error?: string;
  readonly error_description?: string;
  /** The id under which the error was logged (a 500's answer carries it). */
  readonly error_id?: string;
  /** `WWW-Authenticate` of the new answer (RFC 6749 §5.2 wants one on every 401 `invalid_client`). */
  readonly challenge?: string;
}

/** The Basic challenge of a 401 `invalid_client` (RFC 6749 §5.2), `realm` the issuer. */
export function basicChallenge(realm: string): string {
  return `Basic realm="${realm}", error="invalid_client"`;
}

/** The JSON error oidc-provider has set on `ctx`, or `undefined` (none, or an HTML error page). */
export function errorAnswerOf(ctx: Pick<KoaContextWithOIDC, 'body'>): Readonly<Record<string, unknown>> | undefined {
  const body: unknown = ctx.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) return undefined;
  return typeof (body as Record<string, unknown>)['error'] === 'string' ? (body as Record<string, unknown>) : undefined;
}

/**
 * Rewrites the JSON error answer oidc-provider has just set, as `{ error, error_description }`
 * (plus `error_id` when given). An HTML error page (its `renderError`, for browsers) is left
 * alone. Returns whether the answer was rewritten.
 *
 * Seam, checked against oidc-provider 9.13.3: relies on its error handler
 * (lib/shared/error_handler.js) setting `ctx.status` and `ctx.body` to the JSON error *before* it
 * emits the route's error event (`grant.error`, `server_error`...), so that both an event listener
 * and a Koa middleware after `await next()` can still change the answer before Koa sends it.
 * Guarded by error-answer.spec.ts.
 */
export function rewriteErrorAnswer(ctx: ProviderContext, change: ErrorAnswerChange): boolean {
  const answer = errorAnswerOf(ctx);
  if (answer === undefined) return false;
  const description = change.error_description ?? answer['error_description'];
  ctx.body = {
    error: change.error ?? answer['error'],
    ...(typeof description === 'string' ? { error_description: description } : {}),
    ...(change.error_id === undefined ? {} : { error_id: change.error_id }),
  };
  if (change.status !== undefined) ctx.status = change.status;
  if (change.challenge !== undefined) ctx.set('WWW-Authenticate', change.challenge);
  return true;
}
