/**
 * The form parameters of a token-exchange request (RFC 8693 §2.1), as sent to `/oauth2/token`
 * with `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`. Only `audience` and
 * `resource` may be repeated; Baton accepts one target per request.
 */
export interface TokenExchangeRequest {
  subject_token: string;
  subject_token_type: string;
  actor_token?: string;
  actor_token_type?: string;
  requested_token_type?: string;
  audience?: string | string[];
  resource?: string | string[];
  /** Space-separated scopes; default: everything the subject token, target and policy allow. */
  scope?: string;
}
