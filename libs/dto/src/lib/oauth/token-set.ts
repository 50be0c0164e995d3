/** A successful token endpoint response (RFC 6749 §5.1; `issued_token_type` from RFC 8693). */
export interface TokenSet {
  access_token: string;
  token_type: string;
  /** Seconds until the access token expires. */
  expires_in: number;
  /** Space-separated scopes granted. */
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  issued_token_type?: string;
}
