import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { RequestContext } from './context/request-context';
import { RequestContextMiddleware } from './context/request-context.middleware';
import { HealthProbes } from './health/health-probes';
import { pinoHttpParams } from './logging/pino-http-options';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
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
 * - structured logs (nestjs-pino): JSON lines, request ids, credentials redacted;
 * - request ids: taken from `x-request-id` / `traceparent` or made, answered, and kept in the
 *   `RequestContext` for outgoing calls;
 * - `GET /metrics` (prom-client, `MetricsService`), `GET /health/live`, `GET /health/ready`
 *   (terminus);
 * - graceful shutdown (`enableGracefulShutdown(app)` in main.ts).
 *
 * Global: `MetricsService`, `RequestContext` and `GracefulShutdown` can be injected anywhere.
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
    consumer.apply(RequestContextMiddleware, HttpMetricsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

const EXPORTED = [RESOLVED_OBSERVABILITY_OPTIONS, MetricsService, RequestContext, GracefulShutdown];

function withInternals(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    global: true,
    imports: [
      ...(definition.imports ?? []),
      // nestjs-pino's own module: the app's one pino-http instance, `Logger` for `app.useLogger()`.
      LoggerModule.forRootAsync({
        inject: [RESOLVED_OBSERVABILITY_OPTIONS],
        useFactory: (options: ResolvedObservabilityOptions) => pinoHttpParams(options),
      }),
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
      MetricsService,
      RequestContext,
      GracefulShutdown,
      HealthProbes,
      OperationalRoutes,
    ],
    exports: [...(definition.exports ?? []), ...EXPORTED],
  };
}
