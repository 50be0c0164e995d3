import type { Migration } from '@baton/postgres';

/** The component name of the abuse limits' tables in `baton_schema_version`. */
export const ABUSE_LIMITS_COMPONENT = 'abuse-limits';

/**
 * The abuse limits' tables in replicated mode, created by `migrate()` at start (one transaction
 * under an advisory lock, so replicas starting at once do not race a CREATE). Keys are stored as
 * SHA-256 digests: a row has a fixed size whatever the username sent, and the table does not keep
 * what people typed into the username field. `expires_at` / `full_at` are the moments a row means
 * nothing any more (window over, bucket full again); the sweep deletes those.
 */
export const ABUSE_LIMITS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE abuse_limit_windows (
        limiter TEXT NOT NULL,
        key_hash BYTEA NOT NULL,
        points INTEGER NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (limiter, key_hash)
      );
      CREATE INDEX abuse_limit_windows_expires_at ON abuse_limit_windows (expires_at);
      CREATE TABLE abuse_token_buckets (
        bucket TEXT NOT NULL,
        key_hash BYTEA NOT NULL,
        tokens DOUBLE PRECISION NOT NULL,
        granted BOOLEAN NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        full_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (bucket, key_hash)
      );
      CREATE INDEX abuse_token_buckets_full_at ON abuse_token_buckets (full_at);
    `,
  },
];

/** One statement per table: rows whose window ended or whose bucket is full again carry no information. */
export const SWEEP_STATEMENTS: readonly string[] = [
  'DELETE FROM abuse_limit_windows WHERE expires_at <= now()',
  'DELETE FROM abuse_token_buckets WHERE full_at <= now()',
];
