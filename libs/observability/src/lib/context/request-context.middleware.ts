import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GracefulShutdown } from '../shutdown/graceful-shutdown';
import { assignRequestId } from './assign-request-id';
import { RequestContext } from './request-context';

/**
 * First thing every request meets: gives it its id (answered in `x-request-id`), runs the rest of
 * its handling in that request's context, and lets the shutdown know it is in flight.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(
    private readonly context: RequestContext,
    private readonly shutdown: GracefulShutdown,
  ) {}

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const requestId = assignRequestId(request, response);
    this.shutdown.track(response);
    this.context.run(requestId, next);
  }
}
