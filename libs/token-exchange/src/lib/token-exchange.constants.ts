/**
 * The two kinds of URI this client sends and reads, copied from RFC 8693 so the package needs
 * nothing from the host app (they are protocol constants: they cannot drift).
 */

/** The grant type of RFC 8693 §2.1. The short form `token-exchange` is not a grant type. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Token type identifiers of RFC 8693 §3. */
export const TokenTypeUri = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

export type TokenTypeUri = (typeof TokenTypeUri)[keyof typeof TokenTypeUri];

/** RFC 7523 §2.2: the `client_assertion_type` of a `private_key_jwt` client authentication. */
export const JWT_BEARER_CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
