import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { JwksKeyStore } from './jwks-key-store';

/**
 * Readiness of a resource server: it has the issuer's signing keys (fetched at least once), so it
 * can verify tokens. Fetches them on the first probe. A provider of `ResourceServerModule`, with
 * the `check()` that `ObservabilityModule`'s `readiness` option expects.
 */
@Injectable()
export class JwksReadinessCheck {
  constructor(private readonly keyStore: JwksKeyStore) {}

  async check(): Promise<HealthIndicatorResult<'jwks'>> {
    if (await this.keyStore.ensureReady()) return { jwks: { status: 'up' } };
    return { jwks: { status: 'down', message: "the issuer's signing keys could not be fetched yet" } };
  }
}
