import { Injectable } from '@nestjs/common';
import { JwksKeyStore } from './jwks-key-store';

/**
 * `{ jwks: { status, message? } }`: the shape of a health indicator result (terminus and most
 * health libraries take it as is), declared here so the package needs no health library.
 */
export type JwksReadiness =
  | { readonly jwks: { readonly status: 'up' } }
  | { readonly jwks: { readonly status: 'down'; readonly message: string } };

/**
 * Readiness of a resource server: it has the issuer's signing keys (fetched at least once), so it
 * can verify tokens. Fetches them on the first probe, within the key store's rate limit, so probes
 * cannot flood the issuer. A provider exported by `ResourceServerModule`: call `isReady()`, or
 * hand the class to a health library that calls `check()`.
 */
@Injectable()
export class JwksReadinessCheck {
  constructor(private readonly keyStore: JwksKeyStore) {}

  /** True once the issuer's keys were fetched; never throws. */
  isReady(): Promise<boolean> {
    return this.keyStore.ensureReady();
  }

  async check(): Promise<JwksReadiness> {
    if (await this.isReady()) return { jwks: { status: 'up' } };
    return { jwks: { status: 'down', message: "the issuer's signing keys could not be fetched yet" } };
  }
}
