import type { InjectionToken } from '@nestjs/common';
import type { LogLevel } from '@baton/config';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream } from 'pino';
import type { ReadinessCheck } from './health/readiness-check';
import { serviceVersion } from './startup/service-version';

/** What an app passes to `ObservabilityModule.forRoot(...)` / `forRootAsync(...)`. */
export interface ObservabilityModuleOptions {
  /** The service name: `service` in every log line, the `service` label of every metric. */
  service: string;
  /** Shown at start-up, in every log line and in `baton_build_info`. Default: `serviceVersion()`. */
  version?: string;
  /** Lowest level logged. Default `info`. */
  logLevel?: LogLevel;
  /** `json` (one object a line, for machines) or `pretty` (pino-pretty, for people). Default `json`. */
  logFormat?: 'json' | 'pretty';
  /** When set, `GET /metrics` requires `Authorization: Bearer <metricsToken>`; else it is open. */
  metricsToken?: string;
  /** Longest wait for requests in flight after SIGTERM, in milliseconds. Default 8 000 (Docker kills after 10 s). */
  shutdownTimeoutMs?: number;
  /**
   * After SIGTERM, how long idle keep-alive connections stay open (longer while requests are in
   * flight, never past `shutdownTimeoutMs`), so a request a client already sent on one is answered
   * with `Connection: close` rather than reset. Default 1 000.
   */
  shutdownIdleGraceMs?: number;
  /**
   * Behind a load balancer: after SIGTERM, how long the service keeps accepting and serving (with
   * `/health/ready` at 503 and `Connection: close`) before it closes its listener, so the balancer
   * takes it out before connections are refused. Closing at once resets connections the kernel had
   * already accepted into the listen queue, under requests the balancer may not retry (a POST).
   * Default 0 (nothing in front: close at once). Counted before `shutdownTimeoutMs`.
   */
  shutdownDrainDelayMs?: number;
  /**
   * Providers that decide `GET /health/ready`, each with a `check()` (see `ReadinessCheck`),
   * found anywhere in the app. None: ready as soon as the app listens.
   */
  readiness?: readonly InjectionToken<ReadinessCheck>[];
  /**
   * The `route` of a request no Nest or Express route matched, e.g. a path served by a mounted
   * app (oidc-provider). Return undefined for `unmatched`: labels must stay a small, known set.
   */
  routeOf?: (request: IncomingMessage) => string | undefined;
  /** Where log lines go instead of stdout (tests). */
  logDestination?: DestinationStream;
}

/** The options with defaults applied; what the module's providers use. */
export interface ResolvedObservabilityOptions {
  readonly service: string;
  readonly version: string;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  readonly metricsToken: string | undefined;
  readonly shutdownTimeoutMs: number;
  readonly shutdownIdleGraceMs: number;
  readonly shutdownDrainDelayMs: number;
  readonly readiness: readonly InjectionToken<ReadinessCheck>[];
  readonly routeOf: (request: IncomingMessage) => string | undefined;
  readonly logDestination: DestinationStream | undefined;
}

export function resolveObservabilityOptions(options: ObservabilityModuleOptions): ResolvedObservabilityOptions {
  if (!/^[a-z][a-z0-9-]*$/.test(options.service ?? '')) {
    throw new Error('ObservabilityModule: service must be a lower-case name such as "user-service"');
  }
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 8_000;
  if (!Number.isSafeInteger(shutdownTimeoutMs) || shutdownTimeoutMs < 0) {
    throw new Error('ObservabilityModule: shutdownTimeoutMs must be a whole number of 0 or more');
  }
  const shutdownIdleGraceMs = options.shutdownIdleGraceMs ?? 1_000;
  if (!Number.isSafeInteger(shutdownIdleGraceMs) || shutdownIdleGraceMs < 0) {
    throw new Error('ObservabilityModule: shutdownIdleGraceMs must be a whole number of 0 or more');
  }
  const shutdownDrainDelayMs = options.shutdownDrainDelayMs ?? 0;
  if (!Number.isSafeInteger(shutdownDrainDelayMs) || shutdownDrainDelayMs < 0) {
    throw new Error('ObservabilityModule: shutdownDrainDelayMs must be a whole number of 0 or more');
  }
  return {
    service: options.service,
    version: options.version ?? serviceVersion(),
    logLevel: options.logLevel ?? 'info',
    logFormat: options.logFormat ?? 'json',
    metricsToken: options.metricsToken || undefined,
    shutdownTimeoutMs,
    shutdownIdleGraceMs,
    shutdownDrainDelayMs,
    readiness: options.readiness ?? [],
    routeOf: options.routeOf ?? (() => undefined),
    logDestination: options.logDestination,
  };
}
