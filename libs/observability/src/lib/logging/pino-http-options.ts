import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Params } from 'nestjs-pino';
import { DestinationStream, pino, stdTimeFunctions } from 'pino';
import type { Options } from 'pino-http';
import { assignRequestId } from '../context/assign-request-id';
import { routeOf } from '../metrics/route-of';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { prettyDestination } from './pretty-destination';
import { REDACTED, REDACTED_PATHS } from './redaction';

/** Paths probed every few seconds by orchestrators and scrapers: not worth a log line each. */
export const QUIET_PATHS: readonly string[] = ['/health', '/health/live', '/health/ready', '/metrics'];

/**
 * nestjs-pino's configuration for a Baton service: JSON lines with `level` (a name), ISO `time`,
 * `service`, `version`; one `request completed` line per request with `requestId`, `method`,
 * `path`, `route`, `status`, `durationMs` and the request and response headers, credentials
 * redacted; every log written while a request is handled carries its `requestId`.
 */
export function pinoHttpParams(options: ResolvedObservabilityOptions): Params {
  const pinoOptions: Options = {
    level: options.logLevel,
    base: { service: options.service, version: options.version, pid: process.pid, hostname: hostname() },
    timestamp: stdTimeFunctions.isoTime,
    // pino-pretty colours numeric levels; machines read names.
    ...(options.logFormat === 'json' ? { formatters: { level: (label: string) => ({ level: label }) } } : {}),
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    genReqId: (request, response) => assignRequestId(request, response),
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    // Logs made while handling a request carry its id only; the request itself is logged once, at the end.
    quietReqLogger: true,
    serializers: {
      // Errors are logged by type and message: no stack trace reaches a log line.
      err: (error: unknown) => {
        // pino-http hands over pino-std-serializers' plain copy ({ type, message, stack, raw }).
        const { type, name, message } = (typeof error === 'object' && error !== null ? error : {}) as {
          type?: string;
          name?: string;
          message?: string;
        };
        return { type: type ?? name ?? typeof error, message: message ?? String(error) };
      },
      req: (request: IncomingMessage & { raw?: IncomingMessage }) => ({
        method: request.method,
        path: pathOf(request.url),
        headers: request.headers,
      }),
      res: (response: ServerResponse & { headers?: unknown }) => ({
        statusCode: response.statusCode,
        headers: response.headers ?? headersOf(response),
      }),
    },
    autoLogging: { ignore: (request) => QUIET_PATHS.includes(pathOf(request.url)) },
    customLogLevel: (_request, response, error) => (error !== undefined || response.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (request, response, value) => ({ ...summary(request, response, options), ...value }),
    customErrorObject: (request, response, _error, value) => ({ ...summary(request, response, options), ...value }),
  };
  // Synchronous stdout: lines stay in order and none is lost when the process exits after SIGTERM.
  const destination: DestinationStream =
    options.logDestination ?? (options.logFormat === 'pretty' ? prettyDestination() : pino.destination({ dest: 1, sync: true }));
  return { pinoHttp: [pinoOptions, destination] };
}

/** The flat fields of the `request completed` line, easy to filter and aggregate on. */
function summary(request: IncomingMessage, response: ServerResponse, options: ResolvedObservabilityOptions) {
  return {
    method: request.method,
    path: pathOf((request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url),
    route: routeOf(request, options.routeOf),
    status: response.statusCode,
  };
}

/** The path without its query: a query may carry codes or tokens, and pino cannot redact inside a string. */
export function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0];
  return path === undefined || path === '' ? '/' : path;
}

function headersOf(response: ServerResponse): Record<string, unknown> {
  return typeof response.getHeaders === 'function' ? { ...response.getHeaders() } : {};
}
