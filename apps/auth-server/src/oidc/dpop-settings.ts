import { Injectable } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import type { Provider } from 'oidc-provider';
import { DpopOptions, TokenEndpointDpop } from '@baton/oidc-provider-token-exchange';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { CookieSecretsService } from '../keys/cookie-secrets.service';
import { OidcStorage } from '../persistence/oidc-storage';
import { OIDC_ROUTES } from './oidc.constants';
import { replayDetectionId } from './provider-internals';

/** The proof algorithms accepted at the token endpoint, advertised as `dpop_signing_alg_values_supported`. */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'] as const;

/**
 * DPoP (RFC 9449) settings shared by oidc-provider's own grants, this server's client_credentials
 * grant and the token-exchange grant, so that all three answer alike: one algorithm list, one
 * `iat` window, and one nonce secret, so a nonce handed out by any of them (by any replica) is
 * good for the others.
 *
 * The nonce secret is derived (HKDF) from the first cookie secret, which every replica already
 * shares: AUTH_SERVER_COOKIE_SECRETS, else the database (replicated mode), else the data folder.
 * It is not the cookie secret itself, so a nonce reveals nothing about the cookies' key.
 */
@Injectable()
export class DpopSettings {
  readonly algorithms: readonly (typeof DPOP_ALGORITHMS)[number][] = DPOP_ALGORITHMS;
  readonly nonceSecret: Buffer;
  readonly requireNonce: boolean;
  readonly iatWindow: number;
  /**
   * The URLs a proof's `htu` may name at this server's grants: the issuer's token endpoint, and the
   * same path under each AUTH_SERVER_INTERNAL_URLS base (the names the operator says services use
   * inside the network; never the request's Host header).
   */
  readonly tokenEndpointUrls: readonly string[];

  constructor(
    @InjectAppConfig(authServerConfig) config: AuthServerConfig,
    cookieSecrets: CookieSecretsService,
    private readonly storage: OidcStorage,
  ) {
    this.nonceSecret = deriveDpopNonceSecret(cookieSecrets.secrets);
    this.requireNonce = config.dpopRequireNonce;
    this.iatWindow = config.dpopIatWindowSeconds;
    this.tokenEndpointUrls = [config.issuer, ...config.internalUrls].map((base) => `${base}${OIDC_ROUTES.token}`);
  }

  /** The options the token-exchange grant and `TokenEndpointDpop` take. */
  get options(): DpopOptions {
    return {
      algorithms: this.algorithms,
      iatWindow: this.iatWindow,
      nonceSecret: this.nonceSecret,
      requireNonce: this.requireNonce,
      tokenEndpointUrl: this.tokenEndpointUrls,
      replay: (ctx, clientId, jti, expiresAt) => this.firstUse(ctx.oidc.provider, clientId, jti, expiresAt),
    };
  }

  /**
   * A proof's `jti` recorded in oidc-provider's ReplayDetection model (so its own grants and these
   * share one record per client and jti), then that row consumed: `unique` is a read and a write,
   * and of two replicas given one proof at the same instant only the one whose consume changes
   * the row may use it (OidcStorage promises an atomic consume on SQLite and PostgreSQL).
   */
  private async firstUse(provider: Provider, clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    if (!(await provider.ReplayDetection.unique(clientId, jti, expiresAt))) return false;
    return this.storage.consume('ReplayDetection', replayDetectionId(clientId, jti));
  }

  /** A checker of the token endpoint's `DPoP` header for this server's own grants. */
  tokenEndpoint(): TokenEndpointDpop {
    return new TokenEndpointDpop(this.options);
  }
}

/** 32 bytes for oidc-provider's `features.dPoP.nonceSecret`, the same wherever the cookie secrets are. */
export function deriveDpopNonceSecret(cookieSecrets: readonly string[]): Buffer {
  const first = cookieSecrets[0];
  if (first === undefined) throw new Error('no cookie secret to derive the DPoP nonce secret from');
  return Buffer.from(hkdfSync('sha256', first, 'baton-auth-server', 'DPoP nonce secret', 32));
}
