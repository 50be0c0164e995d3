import { Injectable } from '@nestjs/common';
import { errors } from 'oidc-provider';
import type { Client, KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { ResourceServerDefinition } from '../declarative-config/declarative-config';
import { DeclarativeConfigService } from '../declarative-config/declarative-config.service';
import { SigningKeysService } from '../keys/signing-keys.service';

/**
 * Resource indicators (RFC 8707) for oidc-provider: a request names a resource server by URI or
 * by audience; tokens for it are JWTs (RFC 9068) whose `aud` is the logical audience and whose
 * scope is what the client may have there.
 */
@Injectable()
export class ResourceServersService {
  constructor(
    private readonly declarativeConfig: DeclarativeConfigService,
    private readonly signingKeys: SigningKeysService,
  ) {}

  /** By URI or audience. */
  resolve(indicator: string): ResourceServerDefinition | undefined {
    return this.declarativeConfig.resolveResourceServer(indicator);
  }

  /** The resource a client's request means when it names none (its defaultResource, else its own audience). */
  defaultFor(clientId: string): ResourceServerDefinition | undefined {
    return this.declarativeConfig.defaultResourceServerFor(clientId);
  }

  /** Audiences this client may get client_credentials tokens for (none without that grant). */
  clientCredentialsTargets(clientId: string): readonly string[] {
    return this.declarativeConfig.client(clientId)?.clientCredentials?.targets ?? [];
  }

  /** The scopes of a resource server this client may be granted, in the server's order. */
  clientScopes(clientId: string, server: ResourceServerDefinition): string[] {
    const allowed = new Set(this.declarativeConfig.client(clientId)?.scopes ?? []);
    return server.scopes.filter((scope) => allowed.has(scope));
  }

  /**
   * oidc-provider's resource server settings: JWT access tokens signed with the current signing
   * key, `aud` the logical audience. `scopes` defaults to all of the server's scopes.
   */
  infoFor(server: ResourceServerDefinition, scopes: readonly string[] = server.scopes): ResourceServer {
    return {
      audience: server.audience,
      scope: scopes.join(' '),
      accessTokenTTL: server.accessTokenTtl,
      accessTokenFormat: 'jwt',
      // The kid is read per token: after a key rotation new tokens are signed by the new key.
      jwt: { sign: { alg: this.signingKeys.algorithm, kid: this.signingKeys.signingKey.kid } },
    };
  }

  /** `features.resourceIndicators.getResourceServerInfo`. */
  getResourceServerInfo = async (_ctx: KoaContextWithOIDC, indicator: string, client: Client): Promise<ResourceServer> => {
    const server = this.resolve(indicator);
    if (server === undefined) throw new errors.InvalidTarget('the resource is not registered at this server');
    const scopes = this.clientScopes(client.clientId, server);
    if (scopes.length === 0) throw new errors.InvalidTarget('this client may not obtain tokens for the resource');
    return this.infoFor(server, scopes);
  };

  /** `features.resourceIndicators.defaultResource`: the client's default, as its resource URI. */
  defaultResource = async (
    _ctx: KoaContextWithOIDC,
    client: Client,
    oneOf?: readonly string[],
  ): Promise<string | readonly string[] | undefined> => {
    if (oneOf !== undefined) return oneOf.length === 1 ? oneOf[0] : oneOf;
    return this.defaultFor(client.clientId)?.resource;
  };
}
