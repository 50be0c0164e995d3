import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { RequestLog } from '../logging/request-log';
import { MetricsService } from '../metrics/metrics.service';
import { routeOf } from '../metrics/route-of';
import { RESOLVED_OBSERVABILITY_OPTIONS } from '../observability.module-definition';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { GracefulShutdown } from '../shutdown/graceful-shutdown';
import { assignRequestId } from './assign-request-id';
import { RequestContext } from './request-context';

/**
 * First thing every request meets, and the only per-request middleware of the module: gives the
 * request its id (answered in `x-request-id`), lets the shutdown know it is in flight, runs the
 * rest of its handling in that request's context, and once the response is over (one `close`
 * listener) records it in `http_request_duration_seconds{method, route, status}` and writes its
 * request line (`RequestLog`).
 *
 * The route is read when the response is over (Express knows it only once it has routed the
 * request); a request the client abandoned before the answer is counted with status `aborted`.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(
    private readonly context: RequestContext,
    private readonly shutdown: GracefulShutdown,
    private readonly metrics: MetricsService,
    private readonly requestLog: RequestLog,
    @Inject(RESOLVED_OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const requestId = assignRequestId(request, response);
    const started = performance.now();
    this.shutdown.track(response);
    response.once('close', () => this.completed(request, response, requestId, performance.now() - started));
    this.context.run(requestId, next);
  }

  private completed(request: IncomingMessage, response: ServerResponse, requestId: string, durationMs: number): void {
    const route = routeOf(request, this.options.routeOf);
    this.metrics.httpRequestDuration.observe(
      { method: request.method ?? 'UNKNOWN', route, status: response.writableFinished ? String(response.statusCode) : 'aborted' },
      durationMs / 1000,
    );
    this.requestLog.write({ request, response, requestId, route, durationMs });
  }
}
