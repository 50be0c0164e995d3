import { Inject, Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Registry,
} from 'prom-client';
import { RESOLVED_OBSERVABILITY_OPTIONS } from '../observability.module-definition';
import type { ResolvedObservabilityOptions } from '../observability.options';

/** Seconds: from a cache hit (sub-millisecond) to a request that waits on a slow dependency. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type WithoutRegisters<C> = Omit<C, 'registers'>;

/**
 * The service's Prometheus registry (its own, not prom-client's global one, so two apps in one
 * process never mix): Node.js process metrics, `baton_build_info`, the HTTP request duration
 * histogram, and whatever the app adds with `counter()`, `gauge()` and `histogram()`. Every
 * series carries the label `service`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  /** `http_request_duration_seconds{method, route, status}`, recorded for every request. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(@Inject(RESOLVED_OBSERVABILITY_OPTIONS) options: ResolvedObservabilityOptions) {
    this.registry.setDefaultLabels({ service: options.service });
    collectDefaultMetrics({ register: this.registry });
    this.gauge({
      name: 'baton_build_info',
      help: 'The running version of the service (always 1)',
      labelNames: ['version', 'node_version'],
    }).set({ version: options.version, node_version: process.versions.node }, 1);
    this.httpRequestDuration = this.histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status code, and how long they took',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_DURATION_BUCKETS,
    });
  }

  /** A counter in this service's registry (`collect` may set it from a total kept elsewhere). */
  counter<T extends string>(configuration: WithoutRegisters<CounterConfiguration<T>>): Counter<T> {
    return new Counter({ ...configuration, registers: [this.registry] });
  }

  gauge<T extends string>(configuration: WithoutRegisters<GaugeConfiguration<T>>): Gauge<T> {
    return new Gauge({ ...configuration, registers: [this.registry] });
  }

  histogram<T extends string>(configuration: WithoutRegisters<HistogramConfiguration<T>>): Histogram<T> {
    return new Histogram({ ...configuration, registers: [this.registry] });
  }

  /** The Prometheus text exposition of every metric, as `GET /metrics` answers it. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
