/**
 * A token bucket per key: `burst` requests at once, then `ratePerSecond` on average. The map is
 * bounded, least recently used first out: a forgotten key just starts again with a full bucket.
 */
export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`: `undefined` when granted, else the seconds until one is available. */
  take(key: string, now: number): number | undefined {
    if (this.ratePerSecond === 0) return undefined;
    const bucket = this.buckets.get(key);
    const tokens = bucket === undefined ? this.burst : Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.ratePerSecond);
    if (tokens < 1) {
      if (bucket !== undefined) Object.assign(bucket, { tokens, updatedAt: now });
      return Math.max(1, Math.ceil((1 - tokens) / this.ratePerSecond));
    }
    // Re-inserted on every use, so the map's first entries are the least recently used.
    this.buckets.delete(key);
    while (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    this.buckets.set(key, { tokens: tokens - 1, updatedAt: now });
    return undefined;
  }

  get size(): number {
    return this.buckets.size;
  }
}
