/**
 * `@baton/oidc-provider-token-exchange`: the OAuth 2.0 Token Exchange grant (RFC 8693) for
 * oidc-provider v9, registered with one call: `registerTokenExchange(provider, options)`.
 */
export { registerTokenExchange } from './lib/grant/register-token-exchange';
export type { TokenExchangeOptions } from './lib/grant/register-token-exchange';
export type { TokenExchangeGrantDependencies } from './lib/grant/token-exchange.grant';
export { exchangeTokenClaims } from './lib/grant/exchange-token-claims';
export type { ExchangeTokenClaims } from './lib/grant/exchange-token-claims';
export { EXCHANGEABLE_TOKEN_TYPES, TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from './lib/grant/token-exchange.constants';
export { TOKEN_EXCHANGE_PARAMETERS, MAX_TOKEN_LENGTH } from './lib/grant/token-exchange.parameters';
export { TokenExchangeRefusal } from './lib/grant/token-exchange-refusal';
export type { TokenExchangeRefusalCode } from './lib/grant/token-exchange-refusal';
export { claimedClient, isTokenExchangeRequest, listenToTokenExchangeOutcomes } from './lib/grant/token-exchange-outcomes';
export type { TokenExchangeOutcomeListener } from './lib/grant/token-exchange-outcomes';

export { DEFAULT_MAX_ACT_DEPTH, TOKEN_EXCHANGE_MODES } from './lib/policy/token-exchange-policy';
export type { TokenExchangeMode, TokenExchangePolicy } from './lib/policy/token-exchange-policy';
export { ExchangePolicyError, parseExchangePolicy } from './lib/policy/parse-exchange-policy';
export type { ExchangePolicyContext } from './lib/policy/parse-exchange-policy';

export type { ExchangeTarget } from './lib/targets/exchange-target';
export { normalizeResource } from './lib/targets/normalize-resource';

export type { ActClaim } from './lib/checks/act-claim';

export { TokenEndpointDpop } from './lib/dpop/token-endpoint-dpop';
export type { DpopOptions, DpopReplayCheck } from './lib/dpop/token-endpoint-dpop';
export { DEFAULT_DPOP_ALGORITHMS, DEFAULT_DPOP_IAT_WINDOW, DpopProofError, verifyDpopProof } from './lib/dpop/dpop-proof';
export type { DpopProofExpectations, VerifiedDpopProof } from './lib/dpop/dpop-proof';
export { DpopNonces } from './lib/dpop/dpop-nonces';
export { jwkThumbprint } from './lib/dpop/jwk-thumbprint';

export { AccessTokenVerifier } from './lib/verification/access-token.verifier';
export type { AccessTokenVerifierOptions } from './lib/verification/access-token.verifier';
export type { VerifiedAccessToken } from './lib/verification/verified-access-token';
export { VerificationKeys } from './lib/verification/verification-keys';
export type { PublicJwk, PublicJwksSource } from './lib/verification/verification-keys';
export { toPublicJwks } from './lib/verification/public-jwks';

export { TokenExchangeAudit } from './lib/audit/token-exchange.audit';
export type { TokenExchangeAuditFacts } from './lib/audit/token-exchange.audit';
export type { TokenExchangeAuditEntry, TokenExchangeAuditSink } from './lib/audit/token-exchange-audit-entry';
