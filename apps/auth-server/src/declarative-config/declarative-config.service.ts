import { Injectable } from '@nestjs/common';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import {
  ClientDefinition,
  DeclarativeConfig,
  ResourceServerDefinition,
  UserDefinition,
} from './declarative-config';
import { loadDeclarativeConfig } from './load-declarative-config';
import { normalizeResource } from '@baton/oidc-provider-token-exchange';

/**
 * The validated declarative configuration (resource servers, clients with their token-exchange
 * policy, users), loaded once at start from AUTH_SERVER_CONFIG_FILE, with lookups.
 */
@Injectable()
export class DeclarativeConfigService {
  readonly config: DeclarativeConfig;
  private readonly byAudience: ReadonlyMap<string, ResourceServerDefinition>;
  private readonly byResource: ReadonlyMap<string, ResourceServerDefinition>;
  private readonly clientsById: ReadonlyMap<string, ClientDefinition>;
  private readonly usersByName: ReadonlyMap<string, UserDefinition>;

  constructor(@InjectAppConfig(authServerConfig) appConfig: AuthServerConfig) {
    this.config = loadDeclarativeConfig(appConfig.configFile);
    this.byAudience = new Map(this.config.resourceServers.map((server) => [server.audience, server]));
    this.byResource = new Map(this.config.resourceServers.map((server) => [normalizeResource(server.resource), server]));
    this.clientsById = new Map(this.config.clients.map((client) => [client.clientId, client]));
    this.usersByName = new Map(this.config.users.map((user) => [user.username, user]));
  }

  get resourceServers(): readonly ResourceServerDefinition[] {
    return this.config.resourceServers;
  }

  get clients(): readonly ClientDefinition[] {
    return this.config.clients;
  }

  get users(): readonly UserDefinition[] {
    return this.config.users;
  }

  resourceServerByAudience(audience: string): ResourceServerDefinition | undefined {
    return this.byAudience.get(audience);
  }

  /** By resource URI, compared normalised (`http://localhost:8081` = `http://localhost:8081/`). */
  resourceServerByResource(resource: string): ResourceServerDefinition | undefined {
    return this.byResource.get(normalizeResource(resource));
  }

  /** A resource indicator naming a resource server either by its URI or by its audience. */
  resolveResourceServer(indicator: string): ResourceServerDefinition | undefined {
    return this.byAudience.get(indicator) ?? this.resourceServerByResource(indicator);
  }

  client(clientId: string): ClientDefinition | undefined {
    return this.clientsById.get(clientId);
  }

  user(username: string): UserDefinition | undefined {
    return this.usersByName.get(username);
  }

  /**
   * The resource server a client's request means when it names none: its `defaultResource`, else
   * the resource server whose audience is the client's own id (a service asking for itself).
   */
  defaultResourceServerFor(clientId: string): ResourceServerDefinition | undefined {
    const client = this.clientsById.get(clientId);
    if (client?.defaultResource !== undefined) return this.byAudience.get(client.defaultResource);
    return this.byAudience.get(clientId);
  }
}
