import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorPage, PAGE_HEADERS } from '../interaction/interaction-pages';
import { INTERACTION_PATH } from '../oidc/oidc.constants';

/** Stable `error` codes of the HTTP statuses Nest routes answer with. */
const ERROR_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  // A write the database refused (StorageUnavailableError): the OAuth code oidc-provider answers too.
  503: 'temporarily_unavailable',
};

/**
 * Errors of the Nest routes (health, login and consent pages; oidc-provider answers its own):
 * JSON `{ error, message }`, or an HTML page for the interaction pages. An unexpected error is
 * logged once with an id that the 500 answer carries; its message never reaches the client.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(AppExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<IncomingMessage & { originalUrl?: string }>();
    const response = context.getResponse<ServerResponse>();
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let error = 'server_error';
    let message = 'Something went wrong on our side.';
    let errorId: string | undefined;
    let carried: Record<string, string> = {};
    if (exception instanceof HttpException) {
      carried = carriedHeaders(exception);
      status = exception.getStatus();
      error = ERROR_CODES[status] ?? (status >= 500 ? 'server_error' : 'bad_request');
      const body = exception.getResponse();
      message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
    } else {
      errorId = randomUUID();
      // Type and message, never the stack: stack traces stay out of every log line and answer.
      this.logger.error(`unexpected error ${errorId}: ${(exception as Error)?.name}: ${(exception as Error)?.message}`);
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0] ?? '';
    if (path.startsWith(`${INTERACTION_PATH}/`)) {
      response.writeHead(status, { ...carried, ...PAGE_HEADERS });
      response.end(errorPage({ title: 'Sign-in failed', message: errorId === undefined ? message : `${message} (error id ${errorId})`, code: error }));
      return;
    }
    response.writeHead(status, { ...carried, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(JSON.stringify(errorId === undefined ? { error, message } : { error, message, errorId }));
  }
}

/** The response headers an HttpException carries (the headers contract: `headers`, e.g. Retry-After), well-formed ones only. */
function carriedHeaders(exception: HttpException): Record<string, string> {
  const headers = (exception as HttpException & { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return {};
  return Object.fromEntries(
    Object.entries(headers).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' &&
        /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(entry[0]) &&
        !/[\r\n\0]/.test(entry[1]) &&
        !['content-type', 'set-cookie'].includes(entry[0].toLowerCase()),
    ),
  );
}
