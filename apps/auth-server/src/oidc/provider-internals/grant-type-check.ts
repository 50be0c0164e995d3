import type { Client, Provider } from 'oidc-provider';

/**
 * Calls `listener` with the client each time oidc-provider asks whether a client may use a grant
 * type. At the token endpoint that is the first thing it does once the client is authenticated,
 * before any grant work; a listener that throws an oidc-provider-shaped error refuses the request.
 *
 * Why a seam: oidc-provider has no event between authenticating a client and running the grant
 * (`assign.client` and the context's `entity` setter fire before the secret is checked). This
 * replaces the `OIDCContext` prototype patch Baton had before (commit 22bf288). The listener
 * decides which calls it counts: the method is also called on other routes and again while a code
 * grant issues a refresh token. TokenEndpointLimits uses it twice: to spend the client's budget,
 * and to give back the failed-authentication point the request reserved for its address.
 *
 * Seam, checked against oidc-provider 9.13.3: wraps `provider.Client.prototype.grantTypeAllowed`
 * (public in the typings; *when* it is called is not), relying on the token route's
 * `allowedGrantTypeCheck` (lib/actions/token.js) calling `client.grantTypeAllowed(grant_type)`
 * right after client authentication and before the grant handler. Guarded by
 * grant-type-check.spec.ts, and over the whole app by test/hardening/token-endpoint-limits.spec.ts.
 */
export function onGrantTypeCheck(provider: Provider, listener: (client: Client) => void): void {
  const prototype = provider.Client.prototype as Client;
  const grantTypeAllowed = prototype.grantTypeAllowed;
  prototype.grantTypeAllowed = function checkedGrantTypeAllowed(this: Client, type: string): boolean {
    listener(this);
    return grantTypeAllowed.call(this, type);
  };
}
