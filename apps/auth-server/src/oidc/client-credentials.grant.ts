import type { TokenEndpointDpop } from '@baton/oidc-provider-token-exchange';
import { errors } from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ResourceServersService } from './resource-servers.service';

export const grantType = 'client_credentials';
export const parameters = new Set(['scope', 'resource']);

/**
 * The client_credentials grant, replacing oidc-provider's own so that (1) a request without
 * `resource` gets a JWT for the client's default resource (its `defaultResource`, else its own
 * audience) instead of an opaque token, (2) without `scope` it gets every scope the client may
 * have there instead of none, (3) `resource` may be an audience as well as a URI, and (4) a
 * scope it may not have is refused (`invalid_scope`) rather than silently dropped, and (5) the
 * resource must be one of the client's `clientCredentials.targets` (`invalid_target`). With a
 * `DPoP` proof (RFC 9449) the token is bound to its key (`cnf.jkt`, `token_type: DPoP`), checked
 * as the exchange checks it (`TokenEndpointDpop`): oidc-provider's own check is not given to a
 * replacing grant.
 */
export function createClientCredentialsHandler(resourceServers: ResourceServersService, dpop: TokenEndpointDpop) {
  return async function clientCredentialsHandler(ctx: KoaContextWithOIDC): Promise<void> {
    const { client, provider, params } = ctx.oidc;
    if (client === undefined || params === undefined) throw new errors.InvalidClient();
    const proof = dpop.validate(ctx);
    const requestedResource = params['resource'] as string | string[] | undefined;
    if (Array.isArray(requestedResource)) {
      // oidc-provider lets `resource` repeat for every grant; one token has one audience here.
      throw new errors.InvalidTarget('only one resource may be requested');
    }
    const targets = resourceServers.clientCredentialsTargets(client.clientId);
    const server =
      requestedResource === undefined
        ? (resourceServers.defaultFor(client.clientId) ?? (targets.length === 1 ? resourceServers.resolve(targets[0] ?? '') : undefined))
        : resourceServers.resolve(requestedResource);
    if (server === undefined) {
      throw new errors.InvalidTarget(
        requestedResource === undefined
          ? 'no resource was requested and this client has no default resource'
          : 'the resource is not registered at this server',
      );
    }
    // A token for another service on the client's own behalf (sub = the client, no act) would go
    // around the exchange policy and its audit (issue 11, H07): only the configured targets.
    if (!targets.includes(server.audience)) {
      throw new errors.InvalidTarget('this client may not obtain client_credentials tokens for the resource');
    }
    const allowed = resourceServers.clientScopes(client.clientId, server);
    if (allowed.length === 0) throw new errors.InvalidTarget('this client may not obtain tokens for the resource');

    const requestedScope = params['scope'] as string | undefined;
    const requested = requestedScope === undefined ? undefined : requestedScope.split(' ').filter(Boolean);
    const refused = requested?.filter((scope) => !allowed.includes(scope)) ?? [];
    if (refused.length > 0) throw new errors.InvalidScope('requested scope is not allowed', refused.join(' '));
    const scope = (requested !== undefined && requested.length > 0 ? requested : allowed).join(' ');

    const token = new provider.ClientCredentials({ client, scope });
    token.resourceServer = new provider.ResourceServer(server.resource, resourceServers.infoFor(server, allowed));
    if (proof !== undefined) {
      await dpop.consume(ctx, client.clientId, proof);
      token.setThumbprint('jkt', proof.thumbprint);
    }
    ctx.oidc.entity('ClientCredentials', token);
    const accessToken = await token.save();

    ctx.body = {
      access_token: accessToken,
      expires_in: token.expiration,
      token_type: token.tokenType,
      scope,
    };
  };
}
