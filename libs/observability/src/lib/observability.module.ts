import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule, Params } from 'nestjs-pino';
import { RequestContext } from './context/request-context';
import { RequestContextMiddleware } from './context/request-context.middleware';
import { HealthProbes } from './health/health-probes';
import { RequestLog } from './logging/request-log';
import { createServiceLogger, SERVICE_LOGGER, ServiceLogger } from './logging/service-logger';
import { MetricsService } from './metrics/metrics.service';
import {
  ConfigurableObservabilityModule,
  OBSERVABILITY_ASYNC_OPTIONS_TYPE,
  OBSERVABILITY_MODULE_OPTIONS,
  OBSERVABILITY_OPTIONS_TYPE,
  RESOLVED_OBSERVABILITY_OPTIONS,
} from './observability.module-definition';
import { ObservabilityModuleOptions, ResolvedObservabilityOptions, resolveObservabilityOptions } from './observability.options';
import { OperationalRoutes } from './operational-routes';
import { GracefulShutdown } from './shutdown/graceful-shutdown';

/**
 * What every Baton service needs to be run by someone else, configured once in its root module:
 *
 * ```ts
 * ObservabilityModule.forRootAsync({
 *   inject: [config.KEY],
 *   useFactory: (values) => observabilityOptionsFromConfig(values, { service: 'message-service', readiness: [...] }),
 * })
 * ```
 *
 * - structured logs (pino; nestjs-pino for `app.useLogger()`): JSON lines, one line per request,
 *   request ids on every line, credentials redacted;
 * - request ids: taken from `x-request-id` / `traceparent` or made, answered, and kept in the
 *   `RequestContext` for outgoing calls;
 * - `GET /metrics` (prom-client, `MetricsService`), `GET /health/live`, `GET /health/ready`
 *   (terminus);
 * - graceful shutdown (`enableGracefulShutdown(app)` in main.ts).
 *
 * Global: `MetricsService`, `RequestContext`, `GracefulShutdown` and `RequestContextMiddleware`
 * (for `serveBeforeFramework`) can be injected anywhere.
 */
@Module({})
export class ObservabilityModule extends ConfigurableObservabilityModule implements NestModule {
  static override forRoot(options: typeof OBSERVABILITY_OPTIONS_TYPE): DynamicModule {
    return withInternals(super.forRoot(options));
  }

  static override forRootAsync(options: typeof OBSERVABILITY_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withInternals(super.forRootAsync(options));
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

const EXPORTED = [RESOLVED_OBSERVABILITY_OPTIONS, SERVICE_LOGGER, MetricsService, RequestContext, GracefulShutdown, RequestContextMiddleware];

/**
 * nestjs-pino gives `app.useLogger()` its `Logger` (Nest's logs and every `new Logger(...)`) over
 * the service's own pino logger, and nothing per request: its pino-http middleware is mounted on
 * no route (the request line and request ids are `RequestContextMiddleware`'s), and with
 * `wrapSerializers: false` pino-http leaves the logger's own `err` serializer (no stack) in place.
 */
function loggerModuleParams(serviceLogger: ServiceLogger): Params {
  return { pinoHttp: { logger: serviceLogger.logger, wrapSerializers: false, autoLogging: false }, forRoutes: [] };
}

function withInternals(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    global: true,
    imports: [
      ...(definition.imports ?? []),
      LoggerModule.forRootAsync({ inject: [SERVICE_LOGGER], useFactory: loggerModuleParams }),
      // Readiness changes are logged by HealthProbes, once; terminus would log every failed probe.
      TerminusModule.forRoot({ logger: false }),
    ],
    providers: [
      ...(definition.providers ?? []),
      {
        provide: RESOLVED_OBSERVABILITY_OPTIONS,
        inject: [OBSERVABILITY_MODULE_OPTIONS],
        useFactory: (options: ObservabilityModuleOptions) => resolveObservabilityOptions(options),
      },
      {
        provide: SERVICE_LOGGER,
        inject: [RESOLVED_OBSERVABILITY_OPTIONS, RequestContext],
        useFactory: (options: ResolvedObservabilityOptions, context: RequestContext) =>
          createServiceLogger(options, () => context.requestId),
      },
      {
        provide: RequestLog,
        inject: [SERVICE_LOGGER, RESOLVED_OBSERVABILITY_OPTIONS],
        useFactory: (serviceLogger: ServiceLogger, options: ResolvedObservabilityOptions) =>
          new RequestLog(serviceLogger, options.logFormat === 'json'),
      },
      MetricsService,
      RequestContext,
      GracefulShutdown,
      // Also a provider: requests served ahead of the framework (serveBeforeFramework) go through it too.
      RequestContextMiddleware,
      HealthProbes,
      OperationalRoutes,
    ],
    exports: [...(definition.exports ?? []), ...EXPORTED],
  };
}
