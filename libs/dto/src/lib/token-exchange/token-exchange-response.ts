/** A successful token-exchange response (RFC 8693 §2.2.1). No refresh token is ever issued. */
export interface TokenExchangeResponse {
  access_token: string;
  issued_token_type: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** An error response of the token endpoint (RFC 6749 §5.2, RFC 8693 §2.2.2). */
export interface OAuthErrorResponse {
  error: string;
  error_description?: string;
}
