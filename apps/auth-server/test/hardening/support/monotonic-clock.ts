/** The monotonic clock of this process, stopped: it moves only when the test says so. */
export interface StoppedClock {
  /** Moves the clock forward, as if `ms` had passed. */
  advance(ms: number): void;
}

/** Where the last stopped clock was left: a later one never starts behind it (the clock is monotonic). */
let latest = 0;

/**
 * Stops `performance.now()` (the clock the abuse limits measure windows and refills on) for the
 * in-process server and this test, so no verdict depends on how fast the machine runs: a budget is
 * not refilled and a window does not end while the test runs, only when it calls `advance`.
 * Undone by `jest.restoreAllMocks()`.
 */
export function stopMonotonicClock(): StoppedClock {
  let now = Math.max(performance.now(), latest);
  latest = now;
  jest.spyOn(performance, 'now').mockImplementation(() => now);
  return {
    advance: (ms) => {
      now += ms;
      latest = now;
    },
  };
}
