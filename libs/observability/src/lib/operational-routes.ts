import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HealthProbes, ProbeAnswer } from './health/health-probes';
import { MetricsService } from './metrics/metrics.service';
import { RESOLVED_OBSERVABILITY_OPTIONS } from './observability.module-definition';
import type { ResolvedObservabilityOptions } from './observability.options';

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * The operator's endpoints, on the service's own port and outside its API: they are mounted on
 * the HTTP adapter directly, so the API's guards (a resource server wants a bearer token for
 * everything) and its OpenAPI document do not apply to them.
 *
 * - `GET /health/live`, `GET /health` (the same, kept for existing probes): the process answers.
 * - `GET /health/ready`: the app's readiness checks are all up; 503 otherwise, and while stopping.
 * - `GET /metrics`: Prometheus text; with a metrics token, only for `Authorization: Bearer <token>`.
 */
@Injectable()
export class OperationalRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly probes: HealthProbes,
    private readonly metrics: MetricsService,
    @Inject(RESOLVED_OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as { get(path: string, handler: Handler): unknown } | undefined;
    if (adapter === undefined) return;
    const live: Handler = async (_request, response) => probe(response, await this.probes.live());
    adapter.get('/health', live);
    adapter.get('/health/live', live);
    adapter.get('/health/ready', async (_request, response) => probe(response, await this.probes.ready()));
    adapter.get('/metrics', (request, response) => this.serveMetrics(request, response));
  }

  private async serveMetrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!this.authorized(request.headers.authorization)) {
      response.writeHead(401, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
      response.end(JSON.stringify({ error: 'unauthorized', message: 'GET /metrics needs the metrics bearer token' }));
      return;
    }
    const text = await this.metrics.metrics();
    response.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
    response.end(text);
  }

  private authorized(header: string | undefined): boolean {
    const expected = this.options.metricsToken;
    if (expected === undefined) return true;
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header ?? '');
    if (match === null) return false;
    // Equal-length digests: the comparison takes the same time whatever the token given.
    return timingSafeEqual(digest(match[1] as string), digest(expected));
  }
}

function probe(response: ServerResponse, answer: ProbeAnswer): void {
  response.writeHead(answer.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(answer.body));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
