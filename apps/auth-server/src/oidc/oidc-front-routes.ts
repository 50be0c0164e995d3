import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { InjectAppConfig } from '@baton/config';
import type { FrontRoutes } from '@baton/observability';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { DISCOVERY_PATHS, InjectOidcProvider, OIDC_ROUTES } from './oidc.constants';
import { ResourceServersService } from './resource-servers.service';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * `/oauth2/*` and the discovery documents, answered by oidc-provider (a Koa app with its own
 * routing, body parsing and errors) ahead of Express and Nest (`serveBeforeFramework`, installed by
 * OidcModule); everything else is Nest's. Nest's body parser is off for the same reason: the
 * provider reads its own request bodies.
 */
@Injectable()
export class OidcFrontRoutes implements FrontRoutes {
  private handle: RequestListener | undefined;
  private readonly issuerHost: string;
  private readonly issuerProtocol: string;

  constructor(
    @InjectOidcProvider() private readonly provider: Provider,
    private readonly resourceServers: ResourceServersService,
    @InjectAppConfig(authServerConfig) config: AuthServerConfig,
  ) {
    const issuer = new URL(config.issuer);
    this.issuerHost = issuer.host;
    this.issuerProtocol = issuer.protocol.slice(0, -1);
  }

  /**
   * Takes the provider's request handler. Koa composes its middleware here, once: call it after
   * every `provider.use()` (OidcModule does, at application bootstrap).
   */
  listen(): void {
    this.handle = this.provider.callback() as unknown as RequestListener;
  }

  handles(path: string): boolean {
    return path.startsWith('/oauth2/') || (DISCOVERY_PATHS as readonly string[]).includes(path);
  }

  serve(request: IncomingMessage, response: ServerResponse): void {
    if (this.handle === undefined) throw new Error('OidcFrontRoutes.serve before listen()');
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    if (queryStart !== -1 && url.slice(0, queryStart) === OIDC_ROUTES.authorization) {
      request.url = OIDC_ROUTES.authorization + this.resourceAudiencesToUris(url.slice(queryStart));
    }
    this.pinOrigin(request);
    this.handle(request, response);
  }

  /**
   * oidc-provider builds every absolute URL it answers with (the discovery documents' endpoints,
   * redirects) from the request's Host and, behind a proxy, the client-supplied leftmost
   * X-Forwarded-Host and -Proto. Any of them could point a shared cache's copy of the metadata at
   * another host (issue 11, H05), so the provider only ever sees the configured issuer's origin.
   * The forwarded protocol is pinned too: for an https issuer it is what the proxy would say, and
   * it keeps the Secure cookies settable over the proxy's plain-http hop.
   */
  private pinOrigin(request: IncomingMessage): void {
    request.headers.host = this.issuerHost;
    delete request.headers['x-forwarded-host'];
    request.headers['x-forwarded-proto'] = this.issuerProtocol;
  }

  /**
   * RFC 8707 wants `resource` to be an absolute URI; Baton also accepts a resource server's
   * audience there (`resource=user-service`), which is translated to its URI before oidc-provider
   * validates the request. Unknown values are left for oidc-provider to refuse.
   */
  private resourceAudiencesToUris(search: string): string {
    const params = new URLSearchParams(search);
    const resources = params.getAll('resource');
    if (resources.length === 0) return search;
    let changed = false;
    const translated = resources.map((resource) => {
      if (URL.canParse(resource)) return resource;
      const server = this.resourceServers.resolve(resource);
      if (server === undefined) return resource;
      changed = true;
      return server.resource;
    });
    if (!changed) return search;
    params.delete('resource');
    translated.forEach((resource) => params.append('resource', resource));
    return `?${params.toString()}`;
  }
}
