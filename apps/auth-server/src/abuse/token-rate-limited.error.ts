/**
 * A client over its token endpoint rate. Shaped like oidc-provider's own errors (`expose`,
 * `message` = the OAuth error code, `statusCode`), so its error handler answers
 * `429 {"error":"temporarily_unavailable","error_description":...}` and emits `grant.error`.
 */
export class TokenRateLimitedError extends Error {
  readonly expose = true;
  readonly status = 429;
  readonly statusCode = 429;
  readonly error = 'temporarily_unavailable';
  readonly error_description: string;

  constructor(readonly retryAfterSeconds: number) {
    super('temporarily_unavailable');
    this.name = 'TokenRateLimitedError';
    this.error_description = `too many token requests from this client; retry after ${retryAfterSeconds} s`;
  }
}
