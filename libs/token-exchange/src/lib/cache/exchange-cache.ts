import { LRUCache } from 'lru-cache';
import { Clock } from '../clock';
import { ExchangedToken } from '../exchange-request';
import { ExchangeCacheKeyParts, exchangeCacheKey } from './exchange-cache-key';
import { usableUntil } from './usable-until';

/** What the cache reports (for counters); every hook is optional. */
export interface ExchangeCacheEvents {
  hit?(): void;
  /** A miss that starts a load, or (`joined`) waits for the one already running for its key. */
  miss?(joined: boolean): void;
  /** An entry dropped to stay within `maxEntries`. */
  evicted?(): void;
}

export interface ExchangeCacheOptions {
  /** Most tokens kept; the least recently used goes first. */
  maxEntries: number;
  /** Most milliseconds before expiry at which a token stops being served (see `usableUntil`). */
  maxSkewMs: number;
  /** Wall clock: tokens expire by wall time. */
  clock: Clock;
  /** Gets a token from the auth server; called once per key however many callers miss at once. */
  load(parts: ExchangeCacheKeyParts): Promise<ExchangedToken>;
  events?: ExchangeCacheEvents;
}

/**
 * The exchanged tokens, keyed by a hash of everything that decides the issued token
 * (`exchangeCacheKey`), on `lru-cache`:
 *
 * - bounded (`max`), least recently used first out;
 * - each entry lives until `min(token exp, subject exp) − min(maxSkew, lifetime / 4)` (a per-entry
 *   `ttl`, measured on the injected wall clock);
 * - concurrent misses for one key share one `load` (`fetchMethod`): every caller gets its token
 *   or its error, and an error is not kept (the next call loads again).
 *
 * An in-flight load survives its entry being evicted or invalidated (`ignoreFetchAbort`): its
 * callers still get the token; it is just not stored.
 */
export class ExchangeCache {
  private readonly cache: LRUCache<string, ExchangedToken, ExchangeCacheKeyParts>;
  /** Tokens that were already unusable when they arrived: handed to their callers, not kept. */
  private readonly unusable = new WeakSet<ExchangedToken>();

  constructor(private readonly options: ExchangeCacheOptions) {
    this.cache = new LRUCache<string, ExchangedToken, ExchangeCacheKeyParts>({
      max: options.maxEntries,
      // Expiry is judged on the wall clock (token `exp`), read at every check: no cached "now".
      perf: options.clock,
      ttlResolution: 0,
      ignoreFetchAbort: true,
      fetchMethod: (_key, _stale, { options: entry, context }) => this.load(context, entry),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') options.events?.evicted?.();
      },
    });
  }

  /** Tokens held now (an exchange in flight counts as one). */
  get size(): number {
    return this.cache.size;
  }

  /** A usable token for `parts`: the cached one, else loaded (once for all concurrent callers). */
  async get(parts: ExchangeCacheKeyParts): Promise<ExchangedToken> {
    const key = exchangeCacheKey(parts);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.options.events?.hit?.();
      return cached;
    }
    const status: LRUCache.Status<string, ExchangedToken, ExchangeCacheKeyParts> = {};
    const pending = this.cache.fetch(key, { context: parts, status });
    this.options.events?.miss?.(status.fetch === 'inflight');
    const token = await pending;
    // A load either returns a token or throws; `undefined` would mean lru-cache dropped the result.
    if (token === undefined) throw new Error('the token exchange was abandoned');
    if (this.unusable.has(token) && this.cache.peek(key, { allowStale: true }) === token) this.cache.delete(key);
    return token;
  }

  /**
   * Forgets the entry of `parts`; with `rejectedAccessToken`, only while it still holds that
   * token (a newer one fetched meanwhile is kept). Returns whether an entry was removed.
   */
  invalidate(parts: ExchangeCacheKeyParts, rejectedAccessToken?: string): boolean {
    const key = exchangeCacheKey(parts);
    const token = this.cache.peek(key, { allowStale: true });
    if (token === undefined) return false;
    if (rejectedAccessToken !== undefined && token.accessToken !== rejectedAccessToken) return false;
    return this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }

  private async load(
    parts: ExchangeCacheKeyParts,
    entry: LRUCache.FetcherFetchOptions<string, ExchangedToken, ExchangeCacheKeyParts>,
  ): Promise<ExchangedToken> {
    const obtainedAt = this.options.clock.now();
    const token = await this.options.load(parts);
    const until = usableUntil({
      obtainedAt,
      expiresAt: token.expiresAt,
      subjectExpiresAt: jwtExpiry(parts.subjectToken),
      maxSkewMs: this.options.maxSkewMs,
    });
    const ttl = Math.floor(until - this.options.clock.now());
    if (ttl >= 1) {
      entry.ttl = ttl;
    } else {
      // lru-cache reads a ttl of 0 as "forever": a negative one makes the entry stale at once,
      // and `get` removes it as soon as its callers have the token.
      entry.ttl = -1;
      this.unusable.add(token);
    }
    return token;
  }
}

/** The `exp` of a JWT in epoch ms, read without verifying (the resource server did that). */
function jwtExpiry(token: string): number | undefined {
  const dot = token.indexOf('.');
  const second = token.indexOf('.', dot + 1);
  if (dot < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.slice(dot + 1, second), 'base64url').toString('utf8'));
    const exp = (payload as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1_000 : undefined;
  } catch {
    return undefined;
  }
}
