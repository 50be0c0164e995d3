import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TokenExchangeError } from './token-exchange.error';

/**
 * Answers a `TokenExchangeError` with its status, its JSON body (`{ error, message }`) and its
 * headers (`Retry-After` on a 503, `WWW-Authenticate` on a 401). `TokenExchangeModule`
 * registers it for the whole app; an app with its own catch-all filter can call `reply` too.
 */
@Catch(TokenExchangeError)
export class TokenExchangeExceptionFilter implements ExceptionFilter<TokenExchangeError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: TokenExchangeError, host: ArgumentsHost): void {
    this.reply(error, host.switchToHttp().getResponse());
  }

  reply(error: TokenExchangeError, response: unknown): void {
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(error.headers)) adapter.setHeader(response, name, value);
    adapter.reply(response, error.body, error.getStatus());
  }
}
