/** A request that got no HTTP answer at all: connection refused, name not found, or too slow. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    /** `ECONNREFUSED`, `timeout`, ... */
    readonly reason: string,
  ) {
    super(`no answer from ${url} (${reason})`);
    this.name = 'UnreachableError';
  }
}
