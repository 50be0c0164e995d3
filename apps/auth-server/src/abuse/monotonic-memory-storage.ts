import { RateLimiterRes } from 'rate-limiter-flexible';

interface StoredCount {
  value: number;
  /** On the monotonic clock; `null`: never expires. */
  expiresAt: number | null;
}

/**
 * The store behind `MonotonicRateLimiterMemory`: rate-limiter-flexible's in-memory counters, with
 * two differences that matter for abuse limits. Windows are measured on a monotonic clock
 * (`performance.now()`), so an NTP step or a VM resume neither stretches a lock-out (a step back
 * made `Retry-After` grow by the step) nor ends it early (a step forward reset every count). And
 * the number of keys is bounded: a flood of random usernames or addresses cannot exhaust memory.
 *
 * Same contract as the library's `MemoryStorage` (`incrby`, `set`, `get`, `delete`, answering
 * `RateLimiterRes`); its `dump`/`restore` are not offered.
 */
export class MonotonicMemoryStorage {
  private readonly counts = new Map<string, StoredCount>();

  constructor(
    private readonly maxKeys: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  incrby(key: string, value: number, durationSec: number): RateLimiterRes {
    const count = this.live(key);
    if (count === undefined) {
      // A reward for a window that has ended gives nothing: it must not open the next one in credit.
      if (value < 0) return new RateLimiterRes(0, -1, 0, false);
      return this.set(key, value, durationSec);
    }
    count.value += value;
    return new RateLimiterRes(0, this.msBeforeExpiry(count), count.value, false);
  }

  set(key: string, value: number, durationSec: number): RateLimiterRes {
    const durationMs = durationSec * 1000;
    // Re-inserted at the end: with one window length per limiter, the map's order is expiry order,
    // so expired counts and, when full, the oldest windows are dropped from its front.
    this.counts.delete(key);
    this.makeRoom();
    this.counts.set(key, { value, expiresAt: durationMs > 0 ? this.now() + durationMs : null });
    return new RateLimiterRes(0, durationMs > 0 ? durationMs : -1, value, true);
  }

  get(key: string): RateLimiterRes | null {
    const count = this.live(key);
    return count === undefined ? null : new RateLimiterRes(0, this.msBeforeExpiry(count), count.value, false);
  }

  delete(key: string): boolean {
    return this.counts.delete(key);
  }

  get size(): number {
    return this.counts.size;
  }

  private live(key: string): StoredCount | undefined {
    const count = this.counts.get(key);
    if (count === undefined) return undefined;
    if (count.expiresAt !== null && count.expiresAt <= this.now()) {
      this.counts.delete(key);
      return undefined;
    }
    return count;
  }

  /** Whole milliseconds, as the library's Date.now() store gives: `60000.000000004` would read as a 61 s wait. */
  private msBeforeExpiry(count: StoredCount): number {
    return count.expiresAt === null ? -1 : Math.round(count.expiresAt - this.now());
  }

  private makeRoom(): void {
    const now = this.now();
    for (const [key, count] of this.counts) {
      const expired = count.expiresAt !== null && count.expiresAt <= now;
      if (!expired && this.counts.size < this.maxKeys) break;
      this.counts.delete(key);
    }
  }
}
