/** Grant types of RFC 6749 the auth server serves (token exchange: TOKEN_EXCHANGE_GRANT_TYPE). */
export const GrantType = {
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
  clientCredentials: 'client_credentials',
} as const;

export type GrantTypeValue = (typeof GrantType)[keyof typeof GrantType];
