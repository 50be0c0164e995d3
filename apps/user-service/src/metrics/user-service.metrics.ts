import { MetricsService } from '@baton/observability';
import { JwksKeyStore } from '@baton/resource-server';
import { TokenExchangeService } from '@baton/token-exchange';
import { Injectable } from '@nestjs/common';

/** Seconds: an exchange is a few milliseconds on a healthy auth server, the timeout is seconds. */
const EXCHANGE_DURATION_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * user-service's token exchange and JWKS as Prometheus metrics. The counters are kept by
 * TokenExchangeService and JwksKeyStore and read at each scrape; exchange latency is observed as
 * each exchange ends.
 */
@Injectable()
export class UserServiceMetrics {
  constructor(metrics: MetricsService, tokenExchange: TokenExchangeService, keyStore: JwksKeyStore) {
    const total = (name: string, help: string, read: () => number) =>
      metrics.counter({
        name,
        help,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    total('baton_token_exchange_cache_hits_total', 'Exchanges answered from the cache', () => tokenExchange.counters().cacheHits);
    total(
      'baton_token_exchange_cache_misses_total',
      'Exchanges not in the cache (each makes or joins a request to the auth server)',
      () => tokenExchange.counters().cacheMisses,
    );
    total(
      'baton_token_exchange_single_flight_joins_total',
      'Cache misses that waited for an exchange already in flight for the same key',
      () => tokenExchange.counters().singleFlightJoins,
    );
    total(
      'baton_token_exchange_requests_total',
      'HTTP requests sent to the token endpoint, retries included',
      () => tokenExchange.counters().exchangeRequests,
    );
    metrics.counter({
      name: 'baton_token_exchange_failures_total',
      help: "Failed exchanges by code: the auth server's OAuth error, or timeout, network_error, http_5xx",
      labelNames: ['code'],
      collect() {
        this.reset();
        for (const [code, count] of Object.entries(tokenExchange.counters().failures)) this.inc({ code }, count);
      },
    });
    metrics.gauge({
      name: 'baton_token_exchange_cache_entries',
      help: 'Exchanged tokens in the cache now',
      collect() {
        this.set(tokenExchange.counters().cacheSize);
      },
    });
    const duration = metrics.histogram({
      name: 'baton_token_exchange_duration_seconds',
      help: 'Exchanges with the auth server (not cache hits), by result (success or failure code)',
      labelNames: ['result'],
      buckets: EXCHANGE_DURATION_BUCKETS,
    });
    tokenExchange.onExchange(({ durationMs, result }) => duration.observe({ result }, durationMs / 1000));
    total('baton_jwks_fetches_total', "Requests for the issuer's discovery document and JWKS, successful or not", () => keyStore.fetchCount);
  }
}
