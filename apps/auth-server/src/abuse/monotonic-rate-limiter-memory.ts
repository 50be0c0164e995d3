import { RateLimiterMemory } from 'rate-limiter-flexible';
import { MonotonicMemoryStorage } from './monotonic-memory-storage';

type RateLimiterOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/**
 * rate-limiter-flexible's memory limiter (consume, reward, delete: the library's logic, unchanged)
 * on a store that measures windows on the monotonic clock and holds a bounded number of keys.
 *
 * The seam: `RateLimiterMemory` keeps its store in the undocumented `_memoryStorage` field, whose
 * clock is `Date.now()`. The constructor refuses to run if that field is gone, and
 * monotonic-memory-storage.spec.ts fails on an upgrade that changes how the field is used.
 * Checked against rate-limiter-flexible 11.4.0; listed with the auth server's other seams in
 * oidc/provider-internals/README.md.
 */
export class MonotonicRateLimiterMemory extends RateLimiterMemory {
  readonly storage: MonotonicMemoryStorage;

  constructor(options: RateLimiterOptions, maxKeys = 100_000, clock: () => number = () => performance.now()) {
    super(options);
    const internals = this as unknown as { _memoryStorage?: unknown };
    if (internals._memoryStorage === undefined) {
      throw new Error('rate-limiter-flexible changed: RateLimiterMemory has no _memoryStorage to replace');
    }
    this.storage = new MonotonicMemoryStorage(maxKeys, clock);
    internals._memoryStorage = this.storage;
  }
}
