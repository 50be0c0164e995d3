import { TokenExchangeError } from './token-exchange.error';

/**
 * The auth server refused this service, not the caller's token (`invalid_client`,
 * `unauthorized_client`, `invalid_target`, `invalid_scope`, `unsupported_grant_type`, or an
 * unexpected answer): a configuration problem between the two. The caller gets a 502; the code
 * goes to the logs, not to the caller.
 */
export class TokenExchangeMisconfiguredError extends TokenExchangeError {
  constructor(
    /** The auth server's OAuth error code, or what was wrong with its answer. */
    readonly oauthError: string,
    detail: string,
  ) {
    super('token_exchange_failed', 'This service could not obtain a token for the next service', 502, {}, detail);
  }
}
