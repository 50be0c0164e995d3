export * from './lib/observability.module';
export {
  OBSERVABILITY_MODULE_OPTIONS,
  RESOLVED_OBSERVABILITY_OPTIONS,
  OBSERVABILITY_OPTIONS_TYPE,
  OBSERVABILITY_ASYNC_OPTIONS_TYPE,
} from './lib/observability.module-definition';
export * from './lib/observability.options';
export * from './lib/observability.config';
export * from './lib/context/request-id';
export * from './lib/context/request-context';
export { RequestContextMiddleware } from './lib/context/request-context.middleware';
export * from './lib/context/serve-before-framework';
export * from './lib/health/readiness-check';
export { READINESS_CHECK_TIMEOUT_MS } from './lib/health/health-probes';
export * from './lib/logging/redaction';
export * from './lib/metrics/metrics.service';
export * from './lib/metrics/route-of';
export * from './lib/shutdown/graceful-shutdown';
export * from './lib/startup/http-hygiene';
export * from './lib/startup/service-bootstrap';
export * from './lib/startup/service-version';
export * from './lib/logging/context-logger';
