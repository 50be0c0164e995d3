import { HttpException, HttpStatus } from '@nestjs/common';

/** Seconds a client is told to wait: about what a database restart or a failover takes. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * 503 with `Retry-After`: the message database cannot be reached (stopped, restarting, out of
 * connections, the network dropped). Nothing is acknowledged; the client may try again. Unlike
 * 507 the answer does not say "nothing was stored": a connection lost while a commit was on its
 * way leaves the outcome unknown to this process. The detail stays in the log line.
 */
export class DatabaseUnavailableException extends HttpException {
  /** The headers contract of Baton's one exception filter: complete at throw time. */
  readonly headers: Readonly<Record<string, string>> = { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) };

  constructor(readonly detail: string) {
    super(
      {
        error: 'temporarily_unavailable',
        message: 'The message store cannot be reached right now. Try again later.',
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
    this.name = 'DatabaseUnavailableException';
  }
}
