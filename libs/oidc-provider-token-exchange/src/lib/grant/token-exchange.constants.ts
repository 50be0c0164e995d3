/** The grant type of RFC 8693 §2.1. The short form `token-exchange` is not a grant type. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Token type identifiers of RFC 8693 §3. */
export const TokenTypeUri = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  saml1: 'urn:ietf:params:oauth:token-type:saml1',
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
} as const;

export type TokenTypeUri = (typeof TokenTypeUri)[keyof typeof TokenTypeUri];

/**
 * The token types the grant accepts as subject or actor token, and can issue: both name an
 * access token the provider signed (a JWT with `typ: at+jwt`).
 */
export const EXCHANGEABLE_TOKEN_TYPES: readonly TokenTypeUri[] = [TokenTypeUri.accessToken, TokenTypeUri.jwt];
