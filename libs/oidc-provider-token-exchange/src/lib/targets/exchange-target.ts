/** A resource server a token can be exchanged for. */
export interface ExchangeTarget {
  /** Logical audience, the issued token's `aud` (`message-service`). */
  audience: string;
  /** Resource indicator URI (RFC 8707), e.g. `http://localhost:8081`. */
  resource: string;
  scopes: readonly string[];
  /** Seconds an access token for it lives at most. */
  accessTokenTtl: number;
}
