import { ServiceUnavailableException } from '@nestjs/common';

/** How long a client is told to wait when the limits' database failed: a restart or failover takes seconds. */
export const LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

const DESCRIPTION = 'The server cannot check its request limits now; nothing was tried. Try again later.';

/**
 * The shared store of the abuse limits (PostgreSQL) failed during a limit check, so the request is
 * refused rather than let through unchecked (fail closed): a guess that cannot be counted is not
 * tried. `503 temporarily_unavailable` with `Retry-After`, never a 500, no database detail.
 *
 * Shaped for both error paths: thrown inside oidc-provider (the token endpoint) it is rendered as
 * is (`expose`, `statusCode`, `message` = the OAuth code, `error_description`); thrown through a
 * Nest route (the sign-in form) it is an HttpException whose `headers` carry `Retry-After` (the
 * headers contract every Baton filter honours).
 */
export class AbuseLimitsUnavailableError extends ServiceUnavailableException {
  readonly error = 'temporarily_unavailable';
  readonly error_description = DESCRIPTION;
  readonly statusCode = 503;
  readonly expose = true;
  readonly retryAfterSeconds = LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS;
  readonly headers: Readonly<Record<string, string>> = { 'Retry-After': String(LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS) };

  constructor() {
    super({ error: 'temporarily_unavailable', message: DESCRIPTION });
    this.name = 'AbuseLimitsUnavailableError';
    // oidc-provider answers `message` as the OAuth `error` code; Nest reads the response body above.
    this.message = 'temporarily_unavailable';
  }
}
