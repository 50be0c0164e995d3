import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ServerResponse } from 'node:http';

interface ErrorBody {
  error: string;
  message: string;
  [field: string]: unknown;
}

const STABLE_CODE = /^[a-z][a-z0-9_]*$/;

/**
 * The app's one exception filter: every error is answered as JSON `{ error, message }`.
 * HttpExceptions keep their status (and their body when it already has a stable `error` code,
 * e.g. the resource-server and validation errors), and their response headers when they carry
 * them (the packages' headers contract: a `headers` property, e.g. `WWW-Authenticate`,
 * `Retry-After`); anything else is a 500 carrying an error id, logged once with that id. No stack
 * trace or internal message reaches the client.
 *
 * Register it with `{ provide: APP_FILTER, useClass: ApiExceptionFilter }`.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ServerResponse>();
    const [status, body] = exception instanceof HttpException ? this.fromHttpException(exception) : this.unexpected(exception);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    response.statusCode = status;
    if (exception instanceof HttpException) {
      for (const [name, value] of Object.entries(headersOf(exception))) response.setHeader(name, value);
    }
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.end(JSON.stringify(body));
  }

  private fromHttpException(exception: HttpException): [number, ErrorBody] {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const body = isErrorBody(response) ? response : { error: codeOf(status), message: messageOf(response, status) };
    if (status >= 500) this.logCause(status, body.error, exception);
    return [status, body];
  }

  /**
   * A 5xx the app answered on purpose (e.g. the token-exchange client's 503 when a downstream
   * service or the auth server cannot be reached) says why only in its `detail` (`timeout`,
   * `network_error:ECONNRESET`, `http_502`…), which never goes to the caller: it goes to the log,
   * one line, so that the request line's 503 can be traced. Printable characters only, bounded.
   */
  private logCause(status: number, code: string, exception: HttpException): void {
    const detail = (exception as HttpException & { detail?: unknown }).detail;
    if (typeof detail !== 'string' || detail === '') return;
    this.logger.warn(`${status} ${code}: ${detail.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}`);
  }

  private unexpected(exception: unknown): [number, ErrorBody] {
    const errorId = randomUUID();
    // The log line names the error, never its stack: stack traces stay out of every log line and answer.
    const detail = exception instanceof Error ? `${exception.name}: ${exception.message}` : typeof exception;
    this.logger.error(`Unexpected error ${errorId}: ${detail}`);
    return [
      HttpStatus.INTERNAL_SERVER_ERROR,
      { error: 'internal_error', message: `An unexpected error occurred (error id ${errorId})`, errorId },
    ];
  }
}

// RFC 9110 field-name token, and a value without CR, LF or NUL: a header that cannot split the answer.
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[^\r\n\0]*$/;

/**
 * The headers an HttpException carries (`readonly headers: Record<string, string>`), the ones
 * that are well-formed; Content-Type stays ours, since the body is.
 */
function headersOf(exception: HttpException): Record<string, string> {
  const headers = (exception as HttpException & { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return {};
  const valid: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' || !FIELD_NAME.test(name) || !FIELD_VALUE.test(value)) continue;
    if (name.toLowerCase() === 'content-type') continue;
    valid[name] = value;
  }
  return valid;
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const { error, message } = body as Record<string, unknown>;
  return typeof error === 'string' && STABLE_CODE.test(error) && typeof message === 'string';
}

/** `HttpStatus.NOT_FOUND` → `not_found`. */
function codeOf(status: number): string {
  if (status === HttpStatus.INTERNAL_SERVER_ERROR) return 'internal_error';
  const name = HttpStatus[status] as string | undefined;
  return name ? name.toLowerCase() : `http_${status}`;
}

function messageOf(body: unknown, status: number): string {
  const message = typeof body === 'string' ? body : (body as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return HttpStatus[status]?.toLowerCase().replace(/_/g, ' ') ?? 'error';
}
