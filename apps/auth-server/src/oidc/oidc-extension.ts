import { DiscoveryService } from '@nestjs/core';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

/** The token being saved, as oidc-provider hands it to `extraTokenClaims`. */
export type IssuedToken = Parameters<NonNullable<import('oidc-provider').Configuration['extraTokenClaims']>>[1];

/**
 * How a feature plugs into the auth server's oidc-provider without editing its setup: an
 * injectable marked with `@OidcExtension()` anywhere in the application is found at start.
 *
 * ```ts
 * @OidcExtension()
 * @Injectable()
 * export class TokenExchangeGrant implements OidcExtensionHooks {
 *   register(provider: Provider) { provider.registerGrantType(grantType, handler, parameters, dupes); }
 *   extraTokenClaims(ctx, token) { return exchangeTokenClaims(token); }
 * }
 * ```
 */
export interface OidcExtensionHooks {
  /** Called once, after the Provider is built and before the server accepts requests. */
  register?(provider: Provider): void | Promise<void>;
  /**
   * Extra claims for a token being issued (oidc-provider's `extraTokenClaims`); results of all
   * extensions are merged. Return `undefined` for tokens that are not yours.
   */
  extraTokenClaims?(
    ctx: KoaContextWithOIDC,
    token: IssuedToken,
  ): Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
}

/** Marks an injectable as an oidc-provider extension (see OidcExtensionHooks). */
export const OidcExtension = DiscoveryService.createDecorator<void>();
