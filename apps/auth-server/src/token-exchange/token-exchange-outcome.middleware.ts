import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { TokenExchangeAudit, TokenExchangeAuditFacts } from './token-exchange.audit';

/** oidc-provider's own refusal of a grant the client is not registered for. */
const GRANT_NOT_ALLOWED = 'requested grant type is not allowed for this client';
const MAX_LOGGED_CLIENT_ID = 128;

interface ErrorBody {
  error?: unknown;
  error_description?: unknown;
}

/**
 * Koa middleware around oidc-provider's routes that, for token-exchange requests only:
 * - answers `unauthorized_client` (RFC 6749 §5.2) where oidc-provider says `invalid_request` to
 *   a client whose `grant_types` lack the grant;
 * - writes the audit line once the answer is final, whichever step refused it (client
 *   authentication, duplicate parameters, the grant itself), with what the grant had learnt.
 */
export function tokenExchangeOutcomeMiddleware(
  audit: TokenExchangeAudit,
  factsFor: (ctx: KoaContextWithOIDC) => TokenExchangeAuditFacts | undefined,
): (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => Promise<void> {
  return async function tokenExchangeOutcome(ctx, next): Promise<void> {
    await next();
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
    if (oidc?.route !== 'token' || oidc.params?.['grant_type'] !== TOKEN_EXCHANGE_GRANT_TYPE) return;

    const body = typeof ctx.body === 'object' && ctx.body !== null ? (ctx.body as ErrorBody) : undefined;
    if (ctx.status === 400 && body?.error === 'invalid_request' && body.error_description === GRANT_NOT_ALLOWED) {
      ctx.body = {
        error: 'unauthorized_client',
        error_description: 'this client is not allowed to use the token-exchange grant',
      };
    }

    const facts = factsFor(ctx) ?? { ...claimedClient(ctx) };
    if (ctx.status === 200) {
      audit.granted(facts);
      return;
    }
    const final = typeof ctx.body === 'object' && ctx.body !== null ? (ctx.body as ErrorBody) : undefined;
    audit.refused(
      facts,
      typeof final?.error === 'string' ? final.error : `http_${ctx.status}`,
      typeof final?.error_description === 'string' ? final.error_description : undefined,
    );
  };
}

/** The client a refused request claimed to be, when authentication did not get far enough to know. */
function claimedClient(ctx: KoaContextWithOIDC): { client?: string } {
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
