import { Injectable } from '@nestjs/common';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { MonotonicRateLimiterMemory } from './monotonic-rate-limiter-memory';

/** At most this many keys (usernames, addresses) per limiter in memory; oldest windows out first. */
const MAX_KEYS_PER_LIMITER = 100_000;

/**
 * Where the abuse limits keep their counts. Every limiter of the auth server is made here, so a
 * shared store (rate-limiter-flexible's PostgreSQL limiter, for several replicas) replaces the
 * in-memory one in this one place. Callers use only the library's `RateLimiterAbstract` API.
 */
@Injectable()
export class RateLimiterFactory {
  /**
   * A fixed-window limiter of `points` per `durationSeconds`, or `undefined` when `points` is 0
   * (the limit is off). `name` keeps the keys of different limits apart in a shared store.
   */
  create(name: string, points: number, durationSeconds: number): RateLimiterAbstract | undefined {
    if (points === 0) return undefined;
    return new MonotonicRateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds }, MAX_KEYS_PER_LIMITER);
  }
}
