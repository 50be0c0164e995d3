import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { TokenExchangeAudit, TokenExchangeAuditFacts } from '@baton/oidc-provider-token-exchange';

/** oidc-provider's own refusal of a grant the client is not registered for. */
const GRANT_NOT_ALLOWED = 'requested grant type is not allowed for this client';
/** oidc-provider's refusal of a request that names no client at all. */
const NO_CLIENT_AUTHENTICATION = 'no client authentication mechanism provided';
const MAX_LOGGED_CLIENT_ID = 128;

interface OAuthErrorLike {
  error?: unknown;
  message?: unknown;
  error_description?: unknown;
}

/**
 * Listens to the token endpoint's outcome events and, for token-exchange requests only:
 * - writes the audit line, whichever step answered: the grant, or an earlier check of
 *   oidc-provider's (client authentication, duplicate parameters, grant not allowed);
 * - answers as RFC 6749 §5.2 says where oidc-provider says `invalid_request`: `unauthorized_client`
 *   to a client whose `grant_types` lack the grant, and 401 `invalid_client` (with
 *   `WWW-Authenticate`) to a request that includes no client authentication at all.
 *
 * Events rather than Koa middleware: oidc-provider emits them synchronously once the response
 * body is set, whenever the grant was registered; middleware added after `provider.callback()`
 * would silently never run.
 */
export function listenToTokenExchangeOutcomes(
  provider: Provider,
  audit: TokenExchangeAudit,
  factsFor: (ctx: KoaContextWithOIDC) => TokenExchangeAuditFacts | undefined,
): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    if (!isTokenExchange(ctx)) return;
    audit.granted(factsFor(ctx) ?? claimedClient(ctx));
  });

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: OAuthErrorLike) => {
    if (!isTokenExchange(ctx)) return;
    let code = errorCode(error);
    let description = typeof error.error_description === 'string' ? error.error_description : undefined;
    if (code === 'invalid_request' && description === GRANT_NOT_ALLOWED) {
      code = 'unauthorized_client';
      description = 'this client is not allowed to use the token-exchange grant';
      answer(ctx, 400, code, description);
    } else if (code === 'invalid_request' && description === NO_CLIENT_AUTHENTICATION) {
      code = 'invalid_client';
      description = 'client authentication is required';
      answer(ctx, 401, code, description);
      ctx.set('WWW-Authenticate', `Basic realm="${ctx.oidc.provider.issuer}", error="invalid_client"`);
    }
    audit.refused(factsFor(ctx) ?? claimedClient(ctx), code, description);
  });

  provider.on('server_error', (ctx: KoaContextWithOIDC) => {
    if (!isTokenExchange(ctx)) return;
    audit.refused(factsFor(ctx) ?? claimedClient(ctx), 'server_error');
  });
}

/** Replaces the JSON error oidc-provider just set (an HTML error page, for browsers, is left alone). */
function answer(ctx: KoaContextWithOIDC, status: number, error: string, description: string): void {
  if (typeof ctx.body !== 'object' || ctx.body === null) return;
  ctx.status = status;
  ctx.body = { error, error_description: description };
}

function isTokenExchange(ctx: KoaContextWithOIDC): boolean {
  const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
  return oidc?.route === 'token' && oidc.params?.['grant_type'] === TOKEN_EXCHANGE_GRANT_TYPE;
}

function errorCode(error: OAuthErrorLike): string {
  if (typeof error.error === 'string') return error.error;
  if (typeof error.message === 'string') return error.message;
  return 'server_error';
}

/** The client a refused request claimed to be, when authentication did not get far enough to know. */
function claimedClient(ctx: KoaContextWithOIDC): TokenExchangeAuditFacts {
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
