import { Injectable } from '@nestjs/common';
import { MetricsService } from '@baton/observability';
import { JwksKeyStore } from '@baton/resource-server';

/** message-service's own metrics, next to the HTTP ones every service has. */
@Injectable()
export class MessageServiceMetrics {
  constructor(metrics: MetricsService, keyStore: JwksKeyStore) {
    metrics.counter({
      name: 'baton_jwks_fetches_total',
      help: "Requests for the issuer's discovery document and JWKS, successful or not",
      collect() {
        this.reset();
        this.inc(keyStore.fetchCount);
      },
    });
  }
}
