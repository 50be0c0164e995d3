import { HttpException } from '@nestjs/common';

/** The JSON body of every error answer: a stable code and a message for humans. */
export interface ErrorBody {
  error: string;
  message: string;
}

/**
 * Base of every error the token-exchange client throws. Each one knows the HTTP answer the
 * calling service should give its own caller: status, a stable `error` code, a human message
 * with nothing internal in it, and the headers that go with it (`Retry-After`,
 * `WWW-Authenticate`), complete when it is thrown. It is an `HttpException` whose response is
 * `{ error, message }`, so Nest's default handling already answers with the right status and
 * body; a filter that also applies `headers` (the app's own catch-all, or
 * `TokenExchangeExceptionFilter`) adds `Retry-After` and `WWW-Authenticate`.
 */
export abstract class TokenExchangeError extends HttpException {
  protected constructor(
    /** Stable code sent as `error` in the response body. */
    readonly code: string,
    message: string,
    status: number,
    /** Headers for the HTTP answer (the headers contract: a filter copies them to the response). */
    readonly headers: Readonly<Record<string, string>> = {},
    /** What happened, for logs only (never sent to the caller). */
    readonly detail?: string,
  ) {
    super({ error: code, message } satisfies ErrorBody, status);
  }

  get body(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}
