import type { Provider } from 'oidc-provider';
import type { JwtIntrospection } from './jwt-introspection';
import { OIDC_ROUTES } from './oidc.constants';
import { isStructuredTokenRefusal } from './provider-internals';

/**
 * The seam where JwtIntrospection answers for oidc-provider. oidc-provider 9 refuses every JWT at
 * its introspection endpoint with `400 unsupported_token_type` (its `rejectStructuredTokens`
 * step), after it authenticated the client, and offers no hook to answer for such tokens; so this
 * middleware replaces exactly that answer with RFC 7662's. Recognising that answer is a seam (see
 * provider-internals/structured-token-refusal.ts); test/oidc/introspection.spec.ts covers the whole.
 */
export function introspectJwtAccessTokens(provider: Provider, introspection: JwtIntrospection): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== OIDC_ROUTES.introspection || !isStructuredTokenRefusal(ctx)) return;
    const caller = ctx.oidc?.client;
    const token = ctx.oidc?.params?.['token'];
    if (caller === undefined || typeof token !== 'string') return;
    ctx.status = 200;
    ctx.body = await introspection.introspect(provider, caller.clientId, token);
  });
}
