import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { REQUEST_ID_HEADER } from './request-id';

interface RequestScope {
  readonly requestId: string;
}

// One store per process: every Nest app in it runs its requests in their own scope.
const storage = new AsyncLocalStorage<RequestScope>();

/**
 * What the request being handled is, wherever the code runs (a service, an axios call made for
 * it): the request id, set by the observability middleware for the whole request.
 */
@Injectable()
export class RequestContext {
  /** Runs `work` as part of the request `requestId`; everything it awaits stays in that scope. */
  run<T>(requestId: string, work: () => T): T {
    return storage.run({ requestId }, work);
  }

  /** The id of the request being handled, or undefined outside of a request. */
  get requestId(): string | undefined {
    return storage.getStore()?.requestId;
  }

  /**
   * Headers that carry the request on to another service: `{ 'x-request-id': id }` inside a
   * request, `{}` outside. For outgoing HTTP clients, e.g. the token-exchange module's
   * `requestHeaders` hook.
   */
  outgoingHeaders(): Record<string, string> {
    const requestId = this.requestId;
    return requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId };
  }
}
