/**
 * Where the token-exchange client reads the time from. Tests inject a clock they move by hand so
 * expiry and skew are checked without waiting.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** Injection token of the clock `TokenExchangeService` uses (default: the system clock). */
export const TOKEN_EXCHANGE_CLOCK = Symbol('TOKEN_EXCHANGE_CLOCK');
