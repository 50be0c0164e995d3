/**
 * Coalesces concurrent work by key: while a call for a key is running, more calls for that key
 * join it and settle with its result or its error. Nothing is kept once it settles, so a failure
 * is never replayed to later callers.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** Calls currently running. */
  get size(): number {
    return this.running.size;
  }

  /** Runs `work` unless a call for `key` is already running; `joined` tells which happened. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.running.get(key);
    if (existing !== undefined) return { promise: existing, joined: true };
    // Started on the next microtask, so even a synchronous throw settles through the promise
    // after it is registered (and is then removed like any other outcome).
    const promise: Promise<T> = Promise.resolve()
      .then(work)
      .finally(() => {
        if (this.running.get(key) === promise) this.running.delete(key);
      });
    this.running.set(key, promise);
    return { promise, joined: false };
  }
}
