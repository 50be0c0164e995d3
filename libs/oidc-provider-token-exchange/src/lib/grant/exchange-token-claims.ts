import type { ActClaim } from '../checks/act-claim';

/**
 * Claims the grant adds to the access token it issues (today only `act`). A type, not an
 * interface, so it is assignable to what oidc-provider's `extraTokenClaims` returns.
 */
export type ExchangeTokenClaims = { act: ActClaim };

const claimsByToken = new WeakMap<object, ExchangeTokenClaims>();

/** Remembers the claims for a token about to be saved. */
export function setExchangeTokenClaims(token: object, claims: ExchangeTokenClaims): void {
  claimsByToken.set(token, claims);
}

/**
 * The extra claims of a token issued by the token-exchange grant, `undefined` for any other
 * token. oidc-provider builds a token's extra claims only from its `extraTokenClaims`
 * configuration, so that function must return these:
 * `extraTokenClaims: (ctx, token) => exchangeTokenClaims(token)` (merged with any of the host's own).
 */
export function exchangeTokenClaims(token: object): ExchangeTokenClaims | undefined {
  return claimsByToken.get(token);
}
