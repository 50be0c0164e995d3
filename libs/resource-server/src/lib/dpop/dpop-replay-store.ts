/**
 * Where a resource server remembers the DPoP proofs it has accepted, so that a proof is used once
 * (RFC 9449 §11.1). Replicas must share one store, or a proof refused by one is accepted by the
 * other: give every replica a store on the same database.
 */
export interface DpopReplayStore {
  /**
   * Records `key` (a hash of the proof's key thumbprint and `jti`, never the proof) until
   * `expiresAt` (ms since the epoch, when the proof's `iat` leaves the accepted window). Answers
   * `true` when the key was not recorded yet (first use), `false` when it was (a replay). Must be
   * atomic: of two concurrent calls with one key, exactly one answers `true`.
   */
  claim(key: string, expiresAt: number): Promise<boolean> | boolean;
}

/** Thrown by `InMemoryDpopReplayStore` when it is full of records that are all still needed. */
export class DpopReplayStoreFullError extends Error {
  constructor() {
    super('The DPoP replay store is full');
    this.name = 'DpopReplayStoreFullError';
  }
}

/**
 * The default store: one process's memory, bounded. Right for a single replica; replicas need a
 * shared one. Records are dropped once expired. When it holds `maxEntries` unexpired records it
 * refuses new proofs (the guard answers 503) rather than forget one that could still be replayed:
 * only callers with a valid token and key can fill it, and only for the length of the window.
 */
export class InMemoryDpopReplayStore implements DpopReplayStore {
  private readonly records = new Map<string, number>();
  private nextSweep = 0;

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  claim(key: string, expiresAt: number): boolean {
    const now = this.now();
    const known = this.records.get(key);
    if (known !== undefined && known > now) return false;
    if (this.records.size >= this.maxEntries || now >= this.nextSweep) this.sweep(now);
    if (this.records.size >= this.maxEntries) throw new DpopReplayStoreFullError();
    this.records.set(key, expiresAt);
    return true;
  }

  /** Records held (expired ones may still count until the next sweep). */
  get size(): number {
    return this.records.size;
  }

  private sweep(now: number): void {
    for (const [key, expiresAt] of this.records) if (expiresAt <= now) this.records.delete(key);
    // A full scan at most every 10 s, or when full: cheap next to the signatures it follows.
    this.nextSweep = now + 10_000;
  }
}
