import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { TokenExchangeAudit, TokenExchangeAuditFacts } from '../audit/token-exchange.audit';
import { TOKEN_EXCHANGE_GRANT_TYPE } from './token-exchange.constants';

/** Longest client id an audit entry repeats from an unauthenticated request. */
const MAX_LOGGED_CLIENT_ID = 128;

/**
 * Turns the token endpoint's outcomes into audit entries. `factsFor` gives what the grant learnt
 * about a request (`undefined` when oidc-provider refused it before the grant ran). A host may
 * pass its own (`listenToOutcomes`) to also reshape answers; it must then write one entry per
 * exchange request itself.
 */
export type TokenExchangeOutcomeListener = (
  provider: Provider,
  audit: TokenExchangeAudit,
  factsFor: (ctx: KoaContextWithOIDC) => TokenExchangeAuditFacts | undefined,
) => void;

interface OAuthErrorLike {
  error?: unknown;
  message?: unknown;
  error_description?: unknown;
}

/**
 * The default outcome listener: one audit entry per token-exchange request, whichever step
 * answered it (the grant, or an earlier check of oidc-provider's: client authentication,
 * duplicate parameters, a client not allowed the grant). Events rather than Koa middleware:
 * oidc-provider emits them once the response body is set, whenever the grant was registered;
 * middleware added after `provider.callback()` would silently never run.
 */
export const listenToTokenExchangeOutcomes: TokenExchangeOutcomeListener = (provider, audit, factsFor) => {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    if (!isTokenExchangeRequest(ctx)) return;
    audit.granted(factsFor(ctx) ?? claimedClient(ctx));
  });

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: OAuthErrorLike) => {
    if (!isTokenExchangeRequest(ctx)) return;
    const description = typeof error.error_description === 'string' ? error.error_description : undefined;
    audit.refused(factsFor(ctx) ?? claimedClient(ctx), errorCode(error), description);
  });

  provider.on('server_error', (ctx: KoaContextWithOIDC) => {
    if (!isTokenExchangeRequest(ctx)) return;
    audit.refused(factsFor(ctx) ?? claimedClient(ctx), 'server_error');
  });
};

/** Whether `ctx` is a request to the token endpoint for this grant. */
export function isTokenExchangeRequest(ctx: KoaContextWithOIDC): boolean {
  const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
  return oidc?.route === 'token' && oidc.params?.['grant_type'] === TOKEN_EXCHANGE_GRANT_TYPE;
}

function errorCode(error: OAuthErrorLike): string {
  if (typeof error.error === 'string') return error.error;
  if (typeof error.message === 'string') return error.message;
  return 'server_error';
}

/**
 * The client a refused request claimed to be, when authentication did not get far enough to know:
 * the posted `client_id`, else the user part of HTTP Basic (never the secret), cut to a sane length.
 */
export function claimedClient(ctx: KoaContextWithOIDC): TokenExchangeAuditFacts {
  const authenticated = ctx.oidc.client?.clientId;
  if (authenticated !== undefined) return { client: authenticated };
  const posted = ctx.oidc.params?.['client_id'];
  if (typeof posted === 'string') return { client: posted.slice(0, MAX_LOGGED_CLIENT_ID) };
  const authorization = ctx.get('authorization');
  if (authorization.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator > 0) {
      try {
        return { client: decodeURIComponent(decoded.slice(0, separator)).slice(0, MAX_LOGGED_CLIENT_ID) };
      } catch {
        return {};
      }
    }
  }
  return {};
}
