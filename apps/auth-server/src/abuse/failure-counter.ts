/**
 * Counts failures per key in a fixed window that starts at the key's first failure. Once a key has
 * `max` failures it is blocked until its window ends. The map is bounded: when it is full, the
 * oldest windows are dropped first (a flood of random keys cannot exhaust memory, and evicting an
 * old window only forgets a key the flood was not about).
 */
export class FailureCounter {
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may try again, or `undefined` when it may try now. */
  blockedFor(key: string, now: number): number | undefined {
    if (this.max === 0) return undefined;
    const window = this.windows.get(key);
    if (window === undefined) return undefined;
    if (window.endsAt <= now) {
      this.windows.delete(key);
      return undefined;
    }
    return window.failures >= this.max ? Math.max(1, Math.ceil((window.endsAt - now) / 1000)) : undefined;
  }

  recordFailure(key: string, now: number): void {
    if (this.max === 0) return;
    const window = this.windows.get(key);
    if (window !== undefined && window.endsAt > now) {
      window.failures += 1;
      return;
    }
    this.windows.delete(key);
    while (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value as string;
      this.windows.delete(oldest);
    }
    this.windows.set(key, { failures: 1, endsAt: now + this.windowMs });
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  get size(): number {
    return this.windows.size;
  }
}
