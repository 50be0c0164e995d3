import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';

type IdentifiedRequest = IncomingMessage & { id?: unknown };

/**
 * Gives a request its id once (from `x-request-id`, `traceparent`, or new) as `request.id`, where
 * pino-http also looks, and answers it in the `x-request-id` response header. Idempotent: the
 * logging middleware and the request-context middleware both call it, in whichever order they run.
 */
export function assignRequestId(request: IncomingMessage, response: ServerResponse): string {
  const identified = request as IdentifiedRequest;
  if (typeof identified.id === 'string') return identified.id;
  const requestId = requestIdFrom(request.headers);
  identified.id = requestId;
  if (!response.headersSent) response.setHeader(REQUEST_ID_HEADER, requestId);
  return requestId;
}
