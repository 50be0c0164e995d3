/**
 * A per-key request budget (a token bucket). `take` answers `undefined` when a token was granted,
 * else the seconds until one is: synchronously from memory (embedded mode), as a promise when the
 * buckets are shared in PostgreSQL (replicated mode). A rejected promise is a store failure.
 */
export interface TokenBudget {
  take(key: string): number | undefined | Promise<number | undefined>;
}
