import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';

type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void> | void;

/**
 * Runs `before` (and waits for it) at the token endpoint right before the grant handler of every
 * grant type, built-in or registered, now or later. Whatever `before` throws refuses the request
 * the way a grant's own error does (an oidc-provider-shaped error is answered as is), and the
 * grant does not run.
 *
 * Why a seam: the last thing oidc-provider runs before a grant that may wait is the grant itself.
 * `client.grantTypeAllowed` (grant-type-check.ts) marks the moment the client is authenticated,
 * but oidc-provider calls it synchronously, so nothing there can wait for a database; the abuse
 * limits in replicated mode start their charge there and wait for its answer here.
 *
 * Seam, checked against oidc-provider 9.13.3: relies on the token route's last middleware
 * (`callTokenHandler`, lib/actions/token.js) taking the handler from
 * `instance(provider).grantTypeHandlers.get(grant_type)` (the Map `registerGrantType` fills,
 * reached through the deep import `oidc-provider/lib/helpers/weak_cache.js`). This wraps that
 * Map's `get`, so a grant registered after this call is wrapped too. Refuses to start when the Map
 * is not there. Guarded by before-grant.spec.ts.
 */
export function beforeEveryGrant(provider: Provider, before: (ctx: KoaContextWithOIDC) => Promise<void>): void {
  const handlers = instance(provider)?.['grantTypeHandlers'];
  if (!(handlers instanceof Map)) throw new Error('oidc-provider changed: no grantTypeHandlers map to wrap');
  const grants = handlers as Map<string, GrantHandler>;
  const wrapped = new WeakMap<GrantHandler, GrantHandler>();
  const get = grants.get.bind(grants);
  grants.get = (grantType: string): GrantHandler | undefined => {
    const handler = get(grantType);
    if (handler === undefined) return undefined;
    let guarded = wrapped.get(handler);
    if (guarded === undefined) {
      guarded = async (ctx: KoaContextWithOIDC): Promise<void> => {
        await before(ctx);
        await handler(ctx);
      };
      wrapped.set(handler, guarded);
    }
    return guarded;
  };
}
