import { claimedClient, isTokenExchangeRequest } from '@baton/oidc-provider-token-exchange';
import type { TokenExchangeAudit, TokenExchangeAuditFacts, TokenExchangeOutcomeListener } from '@baton/oidc-provider-token-exchange';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { basicChallenge, providerRefusal, rewriteErrorAnswer } from '../oidc/provider-internals';

interface OAuthErrorLike {
  error?: unknown;
  message?: unknown;
  error_description?: unknown;
}

/**
 * The auth server's outcome listener for the token-exchange grant (it replaces the package's
 * default one). For token-exchange requests only, it:
 * - writes the audit line, whichever step answered: the grant, or an earlier check of
 *   oidc-provider's (client authentication, duplicate parameters, grant not allowed);
 * - answers as RFC 6749 §5.2 says where oidc-provider says `invalid_request`: `unauthorized_client`
 *   to a client whose `grant_types` lack the grant, and 401 `invalid_client` (with
 *   `WWW-Authenticate`) to a request that includes no client authentication at all.
 * Recognising those refusals and rewriting the answer are oidc-provider seams: see
 * oidc/provider-internals (providerRefusal, rewriteErrorAnswer).
 */
export const listenToTokenExchangeOutcomes: TokenExchangeOutcomeListener = (
  provider: Provider,
  audit: TokenExchangeAudit,
  factsFor: (ctx: KoaContextWithOIDC) => TokenExchangeAuditFacts | undefined,
): void => {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    if (!isTokenExchangeRequest(ctx)) return;
    audit.granted(factsFor(ctx) ?? claimedClient(ctx));
  });

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: OAuthErrorLike) => {
    if (!isTokenExchangeRequest(ctx)) return;
    let code = errorCode(error);
    let description = typeof error.error_description === 'string' ? error.error_description : undefined;
    const refusal = providerRefusal(error);
    if (refusal === 'grant_not_allowed') {
      code = 'unauthorized_client';
      description = 'this client is not allowed to use the token-exchange grant';
      rewriteErrorAnswer(ctx, { status: 400, error: code, error_description: description });
    } else if (refusal === 'no_client_authentication') {
      code = 'invalid_client';
      description = 'client authentication is required';
      rewriteErrorAnswer(ctx, { status: 401, error: code, error_description: description, challenge: basicChallenge(ctx.oidc.provider.issuer) });
    }
    audit.refused(factsFor(ctx) ?? claimedClient(ctx), code, description);
  });

  provider.on('server_error', (ctx: KoaContextWithOIDC) => {
    if (!isTokenExchangeRequest(ctx)) return;
    audit.refused(factsFor(ctx) ?? claimedClient(ctx), 'server_error');
  });
};

function errorCode(error: OAuthErrorLike): string {
  if (typeof error.error === 'string') return error.error;
  if (typeof error.message === 'string') return error.message;
  return 'server_error';
}
