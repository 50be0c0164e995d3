import type { Client, Provider } from 'oidc-provider';

/**
 * Calls `listener` with the client each time oidc-provider asks whether a client may use a grant
 * type. At the token endpoint that is the first thing it does once the client is authenticated,
 * before any grant work; a listener that throws an oidc-provider-shaped error refuses the request.
 *
 * The seam: oidc-provider has no event between authenticating a client and running the grant
 * (`assign.client` and the context's `entity` setter fire before the secret is checked). Its token
 * route's `allowedGrantTypeCheck` calls `client.grantTypeAllowed(grant_type)` right after client
 * authentication (lib/actions/token.js); that method, public in the typings, is wrapped here. It is
 * also called on other routes and again while a code grant issues a refresh token, so the listener
 * decides which calls it counts. TokenEndpointLimits uses it twice: to spend the client's budget,
 * and to give back the failed-authentication point the request reserved for its address.
 * test/hardening/token-endpoint-limits.spec.ts fails if an upgrade moves the call: a flood of
 * wrong secrets must leave the budget untouched, right ones must spend it, and authenticated
 * requests must leave their address all its failed authentications.
 */
export function onGrantTypeCheck(provider: Provider, listener: (client: Client) => void): void {
  const prototype = provider.Client.prototype as Client;
  const grantTypeAllowed = prototype.grantTypeAllowed;
  prototype.grantTypeAllowed = function checkedGrantTypeAllowed(this: Client, type: string): boolean {
    listener(this);
    return grantTypeAllowed.call(this, type);
  };
}
