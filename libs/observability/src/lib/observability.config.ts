import {
  AppConfig,
  ConfigEntry,
  ConfigProblem,
  ConfigSchema,
  ConfigValidationError,
  ConfigValues,
  integerEntry,
  LogLevel,
} from '@baton/config';
import type { ObservabilityModuleOptions } from './observability.options';

const metricsToken: ConfigEntry<string> = {
  env: 'METRICS_TOKEN',
  description: 'Bearer token GET /metrics requires (unset: /metrics is open; required in production)',
  secret: true,
  defaultValue: '',
  parse: (raw) => {
    if (!/^[\x21-\x7e]{16,}$/.test(raw)) throw new ConfigProblem('must be at least 16 printable characters without spaces');
    return raw;
  },
};

/**
 * Configuration entries of `ObservabilityModule` every service shares; spread them into the app's
 * schema next to `commonConfig` (which has LOG_LEVEL and LOG_FORMAT).
 */
export const observabilityConfig = {
  metricsToken,
  shutdownTimeoutMs: integerEntry('SHUTDOWN_TIMEOUT_MS', {
    description: 'Longest wait for requests in flight after SIGTERM before they are cut off, in milliseconds',
    default: 8_000,
    min: 0,
    max: 300_000,
  }),
  shutdownDrainDelayMs: integerEntry('SHUTDOWN_DRAIN_DELAY_MS', {
    description:
      'Behind a load balancer: after SIGTERM, how long to keep accepting and serving (while /health/ready answers 503) before the listener closes, so the balancer stops sending first; longer than its health check takes to notice. 0: close at once',
    default: 0,
    min: 0,
    max: 60_000,
  }),
  shutdownIdleGraceMs: integerEntry('SHUTDOWN_IDLE_GRACE_MS', {
    description:
      'After SIGTERM, how long idle keep-alive connections stay open so a request already sent on one is answered (with Connection: close), in milliseconds',
    default: 1_000,
    min: 0,
    max: 60_000,
  }),
};

type ObservabilityConfigValues = ConfigValues<typeof observabilityConfig> & {
  readonly nodeEnv: string;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
};

/**
 * Module options from the app's configuration (common and observability entries):
 * `useFactory: (config) => observabilityOptionsFromConfig(config, { service: 'message-service' })`.
 */
export function observabilityOptionsFromConfig(
  config: ObservabilityConfigValues,
  service: Pick<ObservabilityModuleOptions, 'service' | 'version' | 'readiness' | 'routeOf'>,
): ObservabilityModuleOptions {
  return {
    ...service,
    logLevel: config.logLevel,
    logFormat: config.logFormat,
    metricsToken: config.metricsToken || undefined,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    shutdownIdleGraceMs: config.shutdownIdleGraceMs,
    shutdownDrainDelayMs: config.shutdownDrainDelayMs,
  };
}

/**
 * The app's configuration with observability's own rule: in production `METRICS_TOKEN` is
 * required, since without it anyone who reaches the port can read the metrics.
 */
export function withObservabilityRules<S extends ConfigSchema & typeof observabilityConfig>(config: AppConfig<S>): AppConfig<S> {
  return {
    ...config,
    load: () => {
      const values = config.load() as ConfigValues<S> & { nodeEnv?: unknown; metricsToken: string };
      if (values.nodeEnv === 'production' && values.metricsToken === '') {
        throw new ConfigValidationError('METRICS_TOKEN', 'METRICS_TOKEN is required in production (GET /metrics would be public)');
      }
      return values;
    },
  };
}
