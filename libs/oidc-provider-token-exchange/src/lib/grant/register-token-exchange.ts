import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { TokenExchangeAudit, TokenExchangeAuditFacts } from '../audit/token-exchange.audit';
import type { TokenExchangeAuditSink } from '../audit/token-exchange-audit-entry';
import { listenToTokenExchangeOutcomes, TokenExchangeOutcomeListener } from './token-exchange-outcomes';
import {
  allowedDuplicateParameters,
  createTokenExchangeHandler,
  grantType,
  parameters,
  TokenExchangeGrantDependencies,
} from './token-exchange.grant';

/** Everything `registerTokenExchange` takes. */
export interface TokenExchangeOptions extends TokenExchangeGrantDependencies {
  /**
   * Where the one audit entry of every exchange request goes, granted or refused (it names
   * tokens by `jti`, never the token). Required: an exchange nobody can trace is a hole.
   */
  audit: TokenExchangeAuditSink;
  /** Clock of the audit entries' `decidedAt`; injectable for tests. */
  auditClock?(): Date;
  /**
   * Replaces the default outcome listener (`listenToTokenExchangeOutcomes`), e.g. by one that also
   * reshapes some of oidc-provider's answers; it must write one audit entry per exchange request.
   */
  listenToOutcomes?: TokenExchangeOutcomeListener;
}

/**
 * Adds the RFC 8693 grant (`urn:ietf:params:oauth:grant-type:token-exchange`) to an oidc-provider
 * v9 Provider, with its parameters, its audit entries and nothing else. It uses event listeners
 * and `registerGrantType` only, so it may be called before or after `provider.callback()`.
 *
 * Two things stay the host's, because oidc-provider takes them only in the Provider's configuration:
 * - `extraTokenClaims` must return `exchangeTokenClaims(token)` so `act` reaches the issued JWT
 *   (an exchange whose `act` is missing from the token answers `server_error` rather than pass);
 * - clients that may exchange list the grant type in their `grant_types`, and the provider enables
 *   `features.resourceIndicators` for the targets (see the README).
 */
export function registerTokenExchange(provider: Provider, options: TokenExchangeOptions): void {
  const audit = new TokenExchangeAudit(options.audit, options.auditClock);
  const factsByRequest = new WeakMap<KoaContextWithOIDC, TokenExchangeAuditFacts>();
  const listen = options.listenToOutcomes ?? listenToTokenExchangeOutcomes;

  listen(provider, audit, (ctx) => factsByRequest.get(ctx));
  provider.registerGrantType(
    grantType,
    createTokenExchangeHandler({ ...options, issuer: options.issuer ?? provider.issuer }, (ctx, facts) =>
      factsByRequest.set(ctx, facts),
    ),
    parameters,
    allowedDuplicateParameters,
  );
}
