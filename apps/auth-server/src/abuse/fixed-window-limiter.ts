import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * The part of rate-limiter-flexible's API the abuse limits use: `consume` resolves with a
 * `RateLimiterRes` or rejects with one when the key is over its points (any other rejection is a
 * store failure), `reward` gives points back, `delete` forgets the key, `get` reads it.
 * `MonotonicRateLimiterMemory` (embedded) and `PostgresRateLimiter` (replicated) both offer it.
 */
export type FixedWindowLimiter = Pick<RateLimiterAbstract, 'consume' | 'reward' | 'delete' | 'get'>;
