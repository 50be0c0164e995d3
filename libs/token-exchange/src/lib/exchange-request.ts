/** What to exchange, and for what (RFC 8693 §2.1). */
export interface ExchangeRequest {
  /** The caller's access token, exactly as received. It is sent to the auth server only. */
  subjectToken: string;
  /** Default `urn:ietf:params:oauth:token-type:access_token`. */
  subjectTokenType?: string;
  /** Logical audience of the token wanted (`message-service`). */
  audience?: string;
  /** Resource indicator (RFC 8707) of the token wanted. */
  resource?: string;
  /** Scopes wanted, space-separated or as a list; order and repeats do not matter. */
  scope?: string | readonly string[];
  actorToken?: string;
  /** Default `urn:ietf:params:oauth:token-type:access_token` when `actorToken` is given. */
  actorTokenType?: string;
  requestedTokenType?: string;
}

/** An exchanged token. The same frozen object is shared by every caller served from the cache. */
export interface ExchangedToken {
  readonly accessToken: string;
  /**
   * `Bearer`, or `DPoP` when the auth server bound the token to this service's DPoP key (it is
   * then sent as `Authorization: DPoP` with a proof).
   */
  readonly tokenType: 'Bearer' | 'DPoP';
  readonly issuedTokenType: string;
  /** When the auth server says the token expires, in milliseconds since the Unix epoch. */
  readonly expiresAt: number;
  /** Scopes granted, space-separated (the requested ones when the server did not say). */
  readonly scope: string | undefined;
}
