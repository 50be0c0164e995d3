import { TokenExchangeError } from './token-exchange.error';

/**
 * A downstream service answered with something this service cannot pass on: a 5xx, a body that
 * is not JSON, or a 401 for a freshly exchanged token. The caller gets a 502.
 */
export class DownstreamFailedError extends TokenExchangeError {
  constructor(
    readonly downstream: string,
    /** `http:<status>`, `invalid_body`, `token_refused`. */
    readonly reason: string,
  ) {
    super('downstream_failed', `${downstream} failed to answer`, 502, {}, reason);
  }
}
