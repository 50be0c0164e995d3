import { TokenExchangeError } from './token-exchange.error';

/** A downstream service could not be reached or did not answer in time: 503 with `Retry-After`. */
export class DownstreamUnavailableError extends TokenExchangeError {
  constructor(
    readonly downstream: string,
    /** `timeout` or `network:<code>`. */
    readonly reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      'downstream_unavailable',
      `${downstream} is unavailable; try again later`,
      503,
      { 'Retry-After': String(retryAfterSeconds) },
      reason,
    );
  }
}
