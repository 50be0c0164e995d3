import { Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import { describePostgresError, migrate } from '@baton/postgres';
import { AuthServerDatabase } from '../persistence/auth-server-database';
import { ABUSE_LIMITS_COMPONENT, ABUSE_LIMITS_MIGRATIONS, SWEEP_STATEMENTS } from './abuse-limits.schema';
import type { FixedWindowLimiter } from './fixed-window-limiter';
import { MonotonicRateLimiterMemory } from './monotonic-rate-limiter-memory';
import { PostgresRateLimiter } from './postgres-rate-limiter';
import { PostgresTokenBuckets } from './postgres-token-buckets';
import type { TokenBudget } from './token-budget';
import { TokenBucket } from './token-bucket';

/** At most this many keys (usernames, addresses) per limiter in memory; oldest windows out first. */
const MAX_KEYS_PER_LIMITER = 100_000;
/** How often a replica deletes the rows of ended windows and full buckets (one statement per table). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Where the abuse limits keep their counts. Every limiter of the auth server is made here, and
 * callers use only `FixedWindowLimiter` (rate-limiter-flexible's consume / reward / delete / get)
 * and `TokenBudget`, so the store is chosen in this one place:
 *
 * - Embedded mode (no AUTH_SERVER_DATABASE_URL): in memory, windows on the process's monotonic
 *   clock, a bounded number of keys. One process, so its limits are the configured ones.
 * - Replicated mode: PostgreSQL, so the limits are the configured ones whatever the number of
 *   replicas. Own limiters (PostgresRateLimiter, PostgresTokenBuckets), not the library's
 *   `RateLimiterPostgres`: each check is one atomic statement timed on the *database's* clock
 *   (`now()`), the one clock all replicas share, where the library times windows with each
 *   replica's `Date.now()` (skewed replicas disagree; a wall-clock step on one moves the windows).
 *   The tables come from `migrate()` at start (safe when replicas start at once), and a sweep
 *   deletes rows that carry nothing any more, so a flood of distinct usernames cannot grow them
 *   for ever. A failing database makes the checks fail, and the callers refuse (503), never allow.
 */
@Injectable()
export class RateLimiterFactory implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RateLimiterFactory.name);
  private readonly pool: Pool | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(@Optional() database?: AuthServerDatabase) {
    this.pool = database?.pool;
  }

  /** Whether the counts are shared through PostgreSQL (replicated mode). */
  get shared(): boolean {
    return this.pool !== undefined;
  }

  async onModuleInit(): Promise<void> {
    if (this.pool === undefined) return;
    await migrate(this.pool, ABUSE_LIMITS_COMPONENT, ABUSE_LIMITS_MIGRATIONS);
    this.sweepTimer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** Stops the sweep before the pool closes (AuthServerDatabase closes it on application shutdown). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
  }

  /**
   * A fixed-window limiter of `points` per `durationSeconds`, or `undefined` when `points` is 0
   * (the limit is off). `name` keeps the keys of different limits apart in the shared store.
   */
  create(name: string, points: number, durationSeconds: number): FixedWindowLimiter | undefined {
    if (points === 0) return undefined;
    if (this.pool !== undefined) return new PostgresRateLimiter(this.pool, name, points, durationSeconds);
    return new MonotonicRateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds }, MAX_KEYS_PER_LIMITER);
  }

  /** A token bucket per key (`burst` at once, `ratePerSecond` on average), or `undefined` when the rate is 0 (off). */
  createTokenBudget(name: string, ratePerSecond: number, burst: number): TokenBudget | undefined {
    if (ratePerSecond === 0) return undefined;
    if (this.pool !== undefined) return new PostgresTokenBuckets(this.pool, name, ratePerSecond, burst);
    const buckets = new TokenBucket(ratePerSecond, burst);
    return { take: (key) => buckets.take(key, performance.now()) };
  }

  /** Deletes ended windows and full buckets: one statement per table. Failures are logged, retried next time. */
  async sweep(): Promise<void> {
    if (this.pool === undefined) return;
    try {
      for (const statement of SWEEP_STATEMENTS) await this.pool.query(statement);
    } catch (error) {
      this.logger.warn({ event: 'abuse_limits_sweep_failed', reason: describePostgresError(error) });
    }
  }
}
