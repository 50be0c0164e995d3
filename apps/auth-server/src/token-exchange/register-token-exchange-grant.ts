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
import { tokenExchangeOutcomeMiddleware } from './token-exchange-outcome.middleware';

export interface TokenExchangeRegistration extends TokenExchangeGrantDependencies {
  /** Where audit lines go; default: the `TokenExchangeAudit` logger. */
  audit?: TokenExchangeAudit;
}

/**
 * Adds the RFC 8693 grant to a Provider. Call it before `provider.callback()`: Koa composes its
 * middleware there, and the outcome middleware (audit line, `unauthorized_client`) must be in.
 * The provider's `extraTokenClaims` must return `exchangeTokenClaims(token)` for `act` to appear.
 */
export function registerTokenExchangeGrant(provider: Provider, registration: TokenExchangeRegistration): void {
  const audit = registration.audit ?? new TokenExchangeAudit();
  const factsByRequest = new WeakMap<KoaContextWithOIDC, TokenExchangeAuditFacts>();

  provider.use(tokenExchangeOutcomeMiddleware(audit, (ctx) => factsByRequest.get(ctx)));
  provider.registerGrantType(
    grantType,
    createTokenExchangeHandler(registration, (ctx, facts) => factsByRequest.set(ctx, facts)),
    parameters,
    allowedDuplicateParameters,
  );
}
