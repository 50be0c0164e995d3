import { TokenExchangeError } from './token-exchange.error';

/**
 * The auth server refused the caller's token as a subject token (`invalid_request`,
 * `invalid_grant`): the caller must get a new token, so this is the caller's 401.
 */
export class SubjectTokenRejectedError extends TokenExchangeError {
  constructor(
    /** The auth server's OAuth error code. */
    readonly oauthError: string,
  ) {
    super(
      'invalid_token',
      'The access token was refused for token exchange',
      401,
      { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="token exchange refused"' },
      `auth server answered ${oauthError}`,
    );
  }
}
