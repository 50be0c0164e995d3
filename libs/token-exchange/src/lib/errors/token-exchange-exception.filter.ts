import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TokenExchangeError } from './token-exchange.error';

/**
 * Answers a `TokenExchangeError` with its status, its JSON body (`{ error, message }`) and its
 * headers (`Retry-After` on a 503, `WWW-Authenticate` on a 401).
 *
 * For apps without a catch-all exception filter of their own. `TokenExchangeModule` never
 * registers it: the app does, e.g. `{ provide: APP_FILTER, useClass: TokenExchangeExceptionFilter }`
 * in its root module, or `@UseFilters(TokenExchangeExceptionFilter)` on a controller. An app
 * with its own catch-all filter applies `error.headers` there instead (every `TokenExchangeError`
 * carries them), or calls `reply(error, response)`.
 */
@Catch(TokenExchangeError)
export class TokenExchangeExceptionFilter implements ExceptionFilter<TokenExchangeError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: TokenExchangeError, host: ArgumentsHost): void {
    this.reply(error, host.switchToHttp().getResponse());
  }

  /** Writes the answer for `error` to `response` (the platform's response object). */
  reply(error: TokenExchangeError, response: unknown): void {
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(error.headers)) adapter.setHeader(response, name, value);
    adapter.reply(response, error.body, error.getStatus());
  }
}
