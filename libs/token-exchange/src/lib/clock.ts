/**
 * Where the token-exchange client reads the wall time from, for what is compared with token
 * expiry (a cached token's `exp`, the subject token's `exp`). Tests inject a clock they move by
 * hand so expiry and skew are checked without waiting. Intervals (timeouts, the retry wait) do
 * not use it: they run on the monotonic `performance.now()`, which a wall-clock step cannot move.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** Injection token of the clock `TokenExchangeService` uses (default: the system clock). */
export const TOKEN_EXCHANGE_CLOCK = Symbol('TOKEN_EXCHANGE_CLOCK');
