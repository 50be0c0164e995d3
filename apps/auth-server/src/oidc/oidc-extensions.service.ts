import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { IssuedToken, OidcExtension, OidcExtensionHooks } from './oidc-extension';

/** Finds the `@OidcExtension()` injectables of the application and runs their hooks. */
@Injectable()
export class OidcExtensionsService implements OnModuleInit {
  private extensions: OidcExtensionHooks[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    // Every instance exists once module initialisation starts, so all extensions are found here.
    this.extensions = this.discovery
      .getProviders({ metadataKey: OidcExtension.KEY })
      .map((wrapper) => wrapper.instance as OidcExtensionHooks)
      .filter((instance) => instance !== undefined && instance !== null);
  }

  get all(): readonly OidcExtensionHooks[] {
    return this.extensions;
  }

  async extraTokenClaims(ctx: KoaContextWithOIDC, token: IssuedToken): Promise<Record<string, unknown> | undefined> {
    let claims: Record<string, unknown> | undefined;
    for (const extension of this.extensions) {
      const extra = await extension.extraTokenClaims?.(ctx, token);
      if (extra !== undefined) claims = { ...claims, ...extra };
    }
    return claims;
  }
}
