import { TokenExchangeError } from './token-exchange.error';

/**
 * The auth server could not be reached, answered 5xx or 429, or did not answer in time. The
 * caller gets a 503 with `Retry-After`: trying again later may work.
 */
export class AuthServerUnavailableError extends TokenExchangeError {
  constructor(
    /** Why: `timeout`, `network:<code>`, `http:<status>`, `discovery:<reason>`. */
    readonly reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      'auth_server_unavailable',
      'The auth server is unavailable; try again later',
      503,
      { 'Retry-After': String(retryAfterSeconds) },
      reason,
    );
  }
}
