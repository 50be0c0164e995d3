import type { KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import {
  allowedDuplicateParameters,
  createTokenExchangeHandler,
  grantType,
  parameters,
  TokenExchangeGrantDependencies,
} from './token-exchange.grant';
import { TokenExchangeAudit, TokenExchangeAuditFacts } from './token-exchange.audit';
import { listenToTokenExchangeOutcomes } from './token-exchange-outcome.listener';

export interface TokenExchangeRegistration extends TokenExchangeGrantDependencies {
  /** Where audit lines go; default: the `TokenExchangeAudit` logger. */
  audit?: TokenExchangeAudit;
}

/**
 * Adds the RFC 8693 grant to a Provider, with its audit line and `unauthorized_client` answer
 * (event listeners, so it may be called before or after `provider.callback()`). The provider's
 * `extraTokenClaims` must return `exchangeTokenClaims(token)` for `act` to appear in tokens.
 */
export function registerTokenExchangeGrant(provider: Provider, registration: TokenExchangeRegistration): void {
  const audit = registration.audit ?? new TokenExchangeAudit();
  const factsByRequest = new WeakMap<KoaContextWithOIDC, TokenExchangeAuditFacts>();

  listenToTokenExchangeOutcomes(provider, audit, (ctx) => factsByRequest.get(ctx));
  provider.registerGrantType(
    grantType,
    createTokenExchangeHandler(registration, (ctx, facts) => factsByRequest.set(ctx, facts)),
    parameters,
    allowedDuplicateParameters,
  );
}
