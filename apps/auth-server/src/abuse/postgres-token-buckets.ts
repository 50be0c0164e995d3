import type { Pool } from 'pg';
import { keyDigest } from './key-digest';
import type { TokenBudget } from './token-budget';

/**
 * The bucket's tokens now, before this request: what was left plus the refill since, capped at the
 * burst. `now()` is when this statement's transaction began, so a statement that waited for the row
 * lock may be older than the row's `updated_at`: the elapsed time is never negative, nor does
 * `updated_at` go back (a burst sent at once gets exactly `burst` tokens).
 */
const REFILLED = `LEAST($3::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (now() - b.updated_at)))::float8 * $4::float8)`;
const GRANTED = `(${REFILLED} >= 1)`;
const LEFT = `(CASE WHEN ${GRANTED} THEN ${REFILLED} - 1 ELSE ${REFILLED} END)`;

/**
 * Takes one token of key `$2` in bucket `$1` (burst `$3`, `$4` tokens per second): a new key
 * starts full, so it is granted and keeps burst − 1. One statement, atomic under concurrency
 * (replicas serialise on the row lock of ON CONFLICT DO UPDATE; the SET expressions read the row
 * as it was), timed on the database's clock. `full_at`, when the bucket is full again and its row
 * may be deleted, bounds the table (see SWEEP_STATEMENTS).
 */
const TAKE = `
  INSERT INTO abuse_token_buckets AS b (bucket, key_hash, tokens, granted, updated_at, full_at)
  VALUES ($1, $2, $3::float8 - 1, true, now(), now() + make_interval(secs => 1 / $4::float8))
  ON CONFLICT (bucket, key_hash) DO UPDATE SET
    granted = ${GRANTED},
    tokens = ${LEFT},
    updated_at = GREATEST(b.updated_at, now()),
    full_at = GREATEST(b.updated_at, now()) + make_interval(secs => ($3::float8 - ${LEFT}) / $4::float8)
  RETURNING granted, tokens`;

/**
 * Token buckets in PostgreSQL, shared by every replica: `burst` requests at once and
 * `ratePerSecond` on average per key, whatever the number of replicas. One statement per request.
 */
export class PostgresTokenBuckets implements TokenBudget {
  constructor(
    private readonly pool: Pool,
    readonly name: string,
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  async take(key: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ granted: boolean; tokens: number }>(TAKE, [this.name, keyDigest(key), this.burst, this.ratePerSecond]);
    const row = rows[0] as { granted: boolean; tokens: number };
    if (row.granted) return undefined;
    return Math.max(1, Math.ceil((1 - row.tokens) / this.ratePerSecond));
  }
}
