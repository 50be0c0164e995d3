import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESOLVED_OBSERVABILITY_OPTIONS } from '../observability.module-definition';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { MetricsService } from './metrics.service';
import { routeOf } from './route-of';

/**
 * Times every request into `http_request_duration_seconds{method, route, status}`. The route is
 * read when the response is over (Express knows it only once it has routed the request); a
 * request the client abandoned before the answer is counted with status `aborted`.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(RESOLVED_OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    response.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.httpRequestDuration.observe(
        {
          method: request.method ?? 'UNKNOWN',
          route: routeOf(request, this.options.routeOf),
          status: response.writableFinished ? String(response.statusCode) : 'aborted',
        },
        seconds,
      );
    });
    next();
  }
}
