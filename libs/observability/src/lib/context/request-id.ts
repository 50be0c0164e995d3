import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header a request id arrives in, is answered in, and is sent on to other services in. */
export const REQUEST_ID_HEADER = 'x-request-id';

// Printable, no spaces or quotes: safe in a header, in a log line and in a metric-free label.
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;
// W3C Trace Context: version-traceid-parentid-flags, lower-case hex; an all-zero id is invalid.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The id of an incoming request: its `x-request-id` when it has a usable one, else the trace id
 * of its W3C `traceparent`, else a new UUID. Anything that could break a header or a log line
 * (spaces, quotes, control characters, more than 128 characters) is not taken over.
 */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers[REQUEST_ID_HEADER];
  const candidate = Array.isArray(given) ? given[0] : given;
  if (candidate !== undefined && ACCEPTED_REQUEST_ID.test(candidate)) return candidate;
  const traceId = traceIdOf(headers['traceparent']);
  return traceId ?? randomUUID();
}

/** The trace id of a valid `traceparent` header, or undefined. */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId] = match as unknown as [string, string, string, string];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return traceId;
}
