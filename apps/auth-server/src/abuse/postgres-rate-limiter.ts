import type { Pool } from 'pg';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { FixedWindowLimiter } from './fixed-window-limiter';
import { keyDigest } from './key-digest';

interface WindowRow {
  points: number;
  ms_before_next: string;
}

/** Milliseconds left in the row's window, measured on the database clock. */
const MS_BEFORE_NEXT = `GREATEST(0, CEIL(EXTRACT(EPOCH FROM (expires_at - now())) * 1000))::bigint AS ms_before_next`;

/**
 * Takes `$3` points of key `$2` in limiter `$1`: starts a window of `$4` ms when there is none
 * or it has ended, else adds to it. One statement, atomic under concurrency (the row lock of
 * ON CONFLICT DO UPDATE serialises replicas), timed on the database's clock only.
 */
const CONSUME = `
  INSERT INTO abuse_limit_windows AS w (limiter, key_hash, points, expires_at)
  VALUES ($1, $2, $3, now() + $4::bigint * interval '1 millisecond')
  ON CONFLICT (limiter, key_hash) DO UPDATE SET
    points = CASE WHEN w.expires_at <= now() THEN excluded.points ELSE w.points + excluded.points END,
    expires_at = CASE WHEN w.expires_at <= now() THEN excluded.expires_at ELSE w.expires_at END
  RETURNING points, ${MS_BEFORE_NEXT}`;

/** Gives `$3` points back to a live window only, never below 0: an ended window gives no credit to the next. */
const REWARD = `
  UPDATE abuse_limit_windows SET points = GREATEST(points - $3, 0)
  WHERE limiter = $1 AND key_hash = $2 AND expires_at > now()
  RETURNING points, ${MS_BEFORE_NEXT}`;

const GET = `SELECT points, ${MS_BEFORE_NEXT} FROM abuse_limit_windows WHERE limiter = $1 AND key_hash = $2 AND expires_at > now()`;

const DELETE = 'DELETE FROM abuse_limit_windows WHERE limiter = $1 AND key_hash = $2';

/**
 * A fixed-window limiter whose counts live in PostgreSQL, shared by every replica: `points` per
 * `durationSeconds` per key, whatever the number of replicas. Each call is one statement.
 *
 * Why not rate-limiter-flexible's `RateLimiterPostgres` (11.4.0): it computes every expiry from
 * the calling replica's `Date.now()`, so replicas with skewed wall clocks disagree about when a
 * window ends and a clock step on one replica moves everyone's windows; it creates its table
 * itself at construction (racing when replicas start at once, unless told the table exists); it
 * keys rows by the raw key in `varchar(255)` (a longer username is an error); and a reward after
 * the window ended opens the next window in credit. Here the database's clock (`now()`) is the one
 * clock, the table comes from `migrate()`, keys are digests, and rewards go to live windows only.
 * Same contract as the library's limiters for the calls Baton makes (FixedWindowLimiter).
 */
export class PostgresRateLimiter implements FixedWindowLimiter {
  constructor(
    private readonly pool: Pool,
    readonly name: string,
    readonly points: number,
    readonly durationSeconds: number,
  ) {}

  /** Resolves when `key` had the points left; rejects with the `RateLimiterRes` when it is over them. */
  async consume(key: string | number, points = 1): Promise<RateLimiterRes> {
    const { rows } = await this.pool.query<WindowRow>(CONSUME, [this.name, keyDigest(key), points, this.durationSeconds * 1000]);
    const result = this.result(rows[0] as WindowRow);
    if (result.consumedPoints > this.points) throw result;
    return result;
  }

  async reward(key: string | number, points = 1): Promise<RateLimiterRes> {
    const { rows } = await this.pool.query<WindowRow>(REWARD, [this.name, keyDigest(key), points]);
    const row = rows[0];
    return row === undefined ? new RateLimiterRes(this.points, -1, 0, false) : this.result(row);
  }

  async get(key: string | number): Promise<RateLimiterRes | null> {
    const { rows } = await this.pool.query<WindowRow>(GET, [this.name, keyDigest(key)]);
    const row = rows[0];
    return row === undefined ? null : this.result(row);
  }

  async delete(key: string | number): Promise<boolean> {
    const { rowCount } = await this.pool.query(DELETE, [this.name, keyDigest(key)]);
    return (rowCount ?? 0) > 0;
  }

  private result(row: WindowRow): RateLimiterRes {
    return new RateLimiterRes(Math.max(this.points - row.points, 0), Number(row.ms_before_next), row.points, false);
  }
}
