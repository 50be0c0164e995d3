import { Controller, Get, Header, Inject, NotFoundException } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Public } from '../decorators/public.decorator';
import { PROTECTED_RESOURCE_METADATA_PATH, ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { ProtectedResourceMetadata } from './protected-resource-metadata';
import { routeScopes } from './route-scopes';

/**
 * `GET /.well-known/oauth-protected-resource` (RFC 9728): lets a client that only knows this
 * service's URL find its authorization server, scopes and token rules. Public, and cacheable:
 * it changes only with the configuration. Built from the configuration alone, never from the
 * request (`Host`, `X-Forwarded-*`), so no cache can be poisoned with another host's copy.
 * Answers 404 when no `resource` is configured.
 */
@Public()
@Controller()
export class ProtectedResourceMetadataController {
  private document: ProtectedResourceMetadata | undefined;

  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  @Get(PROTECTED_RESOURCE_METADATA_PATH.slice(1))
  @Header('Cache-Control', 'public, max-age=3600')
  metadata(): ProtectedResourceMetadata {
    const resource = this.options.resource;
    if (resource === undefined) throw new NotFoundException();
    // Built on first use: by then every controller is registered, so the scan sees all routes.
    this.document ??= {
      resource,
      authorization_servers: [this.options.issuer],
      scopes_supported: this.options.scopesSupported ?? routeScopes(this.discovery, this.scanner, this.reflector),
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: this.options.algorithms,
      ...(this.options.dpop === undefined
        ? {}
        : {
            dpop_signing_alg_values_supported: this.options.dpop.algorithms,
            dpop_bound_access_tokens_required: this.options.dpop.alwaysRequired,
          }),
    };
    return this.document;
  }
}
