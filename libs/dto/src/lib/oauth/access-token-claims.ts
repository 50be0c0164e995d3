import type { ActClaim } from '../token-exchange/act-claim';

/**
 * The claims of a Baton access token, a JWT per RFC 9068 (header `typ: at+jwt`). `aud` is the
 * resource server's logical audience (`user-service`), never its URI.
 */
export interface AccessTokenClaims {
  iss: string;
  /** The user (their username) or, for client_credentials, the client id. */
  sub: string;
  aud: string;
  client_id: string;
  /** Space-separated; absent when no scope was granted. */
  scope?: string;
  iat: number;
  exp: number;
  jti: string;
  /** Present when a service acts for the subject (token exchange). */
  act?: ActClaim;
}
