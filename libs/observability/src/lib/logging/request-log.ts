import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceLogger } from './service-logger';
import { serializeError } from './service-logger';
import { redactSecrets } from './redaction';

/** Paths probed every few seconds by orchestrators and scrapers: not worth a log line each. */
export const QUIET_PATHS: readonly string[] = ['/health', '/health/live', '/health/ready', '/metrics'];

/** What is known of a request once its response is over. */
export interface CompletedRequest {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly requestId: string;
  /** The route template (`/api/messages/:id`), as the metrics label it. */
  readonly route: string;
  readonly durationMs: number;
}

/**
 * The one line per request: `request completed` (level info), or `request failed` (level error,
 * with `err`) for a 5xx answer, with `requestId`, `method`, `path` (without the query: it may carry
 * codes or tokens), `route`, `status`, `durationMs`, and the request and response headers under
 * `req` and `res`, credentials redacted. The probes (`QUIET_PATHS`) are not logged.
 *
 * The line is one string built here and handed to the logger's destination, as pino would write
 * it: no child logger, serializer or redaction path per request (together ~120 µs per request
 * with pino-http, a quarter of a token exchange's CPU). On stdout it goes out with the next line or
 * at the end of the event loop's round (`ServiceLogger.writeAfterAnswer`): one write for several
 * lines.
 */
export class RequestLog {
  /** `"level":…` for info and error, as the logger writes them (names in JSON, numbers for pino-pretty). */
  private readonly levelFields: { readonly info: string; readonly error: string };

  constructor(
    private readonly service: ServiceLogger,
    levelsAsNames: boolean,
  ) {
    const value = (label: 'info' | 'error'): string =>
      levelsAsNames ? JSON.stringify(label) : String(service.logger.levels.values[label]);
    this.levelFields = { info: `{"level":${value('info')}`, error: `{"level":${value('error')}` };
  }

  write(completed: CompletedRequest): void {
    const { request, response } = completed;
    const error = (response as ServerResponse & { err?: unknown }).err;
    const status = response.statusCode;
    const failed = error !== undefined || status >= 500;
    if (!this.service.logger.isLevelEnabled(failed ? 'error' : 'info')) return;
    const path = pathOf((request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url);
    if (QUIET_PATHS.includes(path)) return;
    const method = JSON.stringify(request.method ?? 'UNKNOWN');
    const pathField = JSON.stringify(path);
    const line =
      `${failed ? this.levelFields.error : this.levelFields.info},"time":"${new Date().toISOString()}",${this.service.baseFields}` +
      `,"requestId":${JSON.stringify(completed.requestId)}` +
      `,"req":{"method":${method},"path":${pathField},"headers":${JSON.stringify(redactSecrets(request.headers))}}` +
      `,"method":${method},"path":${pathField},"route":${JSON.stringify(completed.route)},"status":${status}` +
      `,"res":{"statusCode":${status},"headers":${JSON.stringify(redactSecrets(response.getHeaders()))}}` +
      (failed ? `,"err":${JSON.stringify(serializeError(error ?? new Error(`failed with status code ${status}`)))}` : '') +
      // A request the client abandoned before its answer was over.
      (response.writableFinished ? '' : ',"aborted":true') +
      `,"durationMs":${Math.round(completed.durationMs)},"msg":"${failed ? 'request failed' : 'request completed'}"}\n`;
    this.service.writeAfterAnswer(line);
  }
}

/** The path without its query: a query may carry codes or tokens. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path === '' ? '/' : path;
}
