import { Logger, OnModuleDestroy } from '@nestjs/common';
import type { AdapterPayload } from 'oidc-provider';
import type { Pool, QueryResultRow } from 'pg';
import { describePostgresError, isDatabaseUnavailable, migrate, Migration } from '@baton/postgres';
import { LookupColumn, OidcStorage } from './oidc-storage';
import { StorageUnavailableError } from './storage-unavailable.error';

/** The component name of these tables in `baton_schema_version`. */
export const OIDC_SCHEMA_COMPONENT = 'oidc';
const SWEEP_INTERVAL_MS = 5 * 60 * 1000;
/** Rows one sweep statement deletes: bounds how long it holds its locks, the next batch follows. */
const SWEEP_BATCH = 5_000;
/** Key of the advisory lock that lets one replica at a time sweep. */
const SWEEP_LOCK = 'baton:oidc:sweep';

/**
 * Schema versions, in order; never edit a released one, add the next. Expiry and consumption are
 * timestamps of the database's clock, so replicas whose clocks disagree still agree on them.
 */
export const OIDC_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE oidc_model (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        payload JSONB NOT NULL,
        grant_id TEXT,
        uid TEXT,
        user_code TEXT,
        expires_at TIMESTAMPTZ,
        consumed_at TIMESTAMPTZ,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX oidc_model_grant_id ON oidc_model (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_model_uid ON oidc_model (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_model_user_code ON oidc_model (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_model_expires_at ON oidc_model (expires_at) WHERE expires_at IS NOT NULL;
      -- One row that readiness rewrites to find out whether the database can store.
      CREATE TABLE oidc_write_probe (id INTEGER PRIMARY KEY, written_at TIMESTAMPTZ NOT NULL);
    `,
  },
];

const LIVE = '(expires_at IS NULL OR expires_at > now())';
const SELECT_COLUMNS = 'payload, floor(extract(epoch FROM consumed_at))::float8 AS consumed';
const FIND: Record<LookupColumn, string> = {
  id: `SELECT ${SELECT_COLUMNS} FROM oidc_model WHERE model = $1 AND id = $2 AND ${LIVE}`,
  uid: `SELECT ${SELECT_COLUMNS} FROM oidc_model WHERE model = $1 AND uid = $2 AND ${LIVE} LIMIT 1`,
  user_code: `SELECT ${SELECT_COLUMNS} FROM oidc_model WHERE model = $1 AND user_code = $2 AND ${LIVE} LIMIT 1`,
};
const UPSERT = `
  INSERT INTO oidc_model (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
  VALUES ($1, $2, $3::jsonb, $4, $5, $6, now() + $7::float8 * interval '1 second', NULL)
  ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
    user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`;
/** Atomic: of two concurrent redemptions of one code or refresh token, exactly one updates the row. */
const CONSUME = `UPDATE oidc_model SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL AND ${LIVE}`;
/**
 * One statement, one transaction: the advisory lock is held while it runs, so one replica sweeps at
 * a time and the others skip (`held` false) instead of queueing behind it.
 */
const SWEEP = `
  WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS held),
  gone AS (
    DELETE FROM oidc_model WHERE ctid IN (
      SELECT ctid FROM oidc_model WHERE (SELECT held FROM lock) AND expires_at <= now() LIMIT $2
    ) RETURNING 1
  )
  SELECT (SELECT held FROM lock) AS held, (SELECT count(*) FROM gone)::int AS removed`;
const PROBE = `INSERT INTO oidc_write_probe (id, written_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at`;

interface ModelRow extends QueryResultRow {
  payload: AdapterPayload;
  consumed: number | null;
}

/**
 * oidc-provider's state in PostgreSQL (replicated mode): the same rows as OidcStore's SQLite table,
 * shared by every replica on the pool of AuthServerDatabase. `open()` migrates first (one
 * transaction under an advisory lock, so replicas starting at once are safe).
 *
 * A query the database cannot answer now (server down or restarting, disk full, read-only, out of
 * connections) throws StorageUnavailableError (503 `temporarily_unavailable`, nothing
 * acknowledged), is logged once with its SQLSTATE (no stack, no URL, no values), and readiness
 * reports the database down until a write succeeds again. Other errors are thrown as they are.
 */
export class PostgresOidcStore extends OidcStorage implements OnModuleDestroy {
  private readonly logger = new Logger(PostgresOidcStore.name);
  private failure: string | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();
  /** Statements this store sent to the database, by kind (measurements for capacity planning, and tests). */
  readonly statements = { read: 0, write: 0 };

  private constructor(private readonly pool: Pool) {
    super();
  }

  /** Migrates the schema (refusing a newer one), sweeps once, and sweeps periodically from then on. */
  static async open(pool: Pool, options: { sweepIntervalMs?: number } = {}): Promise<PostgresOidcStore> {
    await migrate(pool, OIDC_SCHEMA_COMPONENT, OIDC_MIGRATIONS);
    const store = new PostgresOidcStore(pool);
    store.sweepQuietly();
    store.sweeper = setInterval(() => store.sweepQuietly(), options.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
    store.sweeper.unref();
    return store;
  }

  async upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    await this.query('write', UPSERT, [
      model,
      id,
      JSON.stringify(payload),
      payload.grantId ?? null,
      payload.userCode ?? null,
      payload.uid ?? null,
      typeof expiresIn === 'number' ? expiresIn : null,
    ]);
  }

  async find(model: string, column: LookupColumn, value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.query<ModelRow>('read', FIND[column], [model, value]);
    const row = rows[0];
    if (row === undefined) return undefined;
    return row.consumed === null ? row.payload : { ...row.payload, consumed: row.consumed };
  }

  async consume(model: string, id: string): Promise<boolean> {
    return (await this.query('write', CONSUME, [model, id])).rowCount === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.query('write', 'DELETE FROM oidc_model WHERE model = $1 AND id = $2', [model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.query('write', 'DELETE FROM oidc_model WHERE grant_id = $1', [grantId]);
  }

  async sweep(): Promise<number | undefined> {
    let total = 0;
    for (;;) {
      const { rows } = await this.query<{ held: boolean; removed: number }>('write', SWEEP, [SWEEP_LOCK, SWEEP_BATCH]);
      const { held, removed } = rows[0] ?? { held: false, removed: 0 };
      if (!held) return total > 0 ? total : undefined;
      total += removed;
      if (removed < SWEEP_BATCH) break;
    }
    if (total > 0) this.logger.debug(`removed ${total} expired row(s)`);
    return total;
  }

  async count(model?: string): Promise<number> {
    const { rows } =
      model === undefined
        ? await this.query<{ n: number }>('read', `SELECT count(*)::int AS n FROM oidc_model WHERE ${LIVE}`, [])
        : await this.query<{ n: number }>('read', `SELECT count(*)::int AS n FROM oidc_model WHERE model = $1 AND ${LIVE}`, [model]);
    return rows[0]?.n ?? 0;
  }

  async ping(): Promise<void> {
    // Straight to the pool: a probe that fails is readiness' answer, not a failed request to log.
    this.statements.read += 1;
    await this.pool.query('SELECT 1');
  }

  async probeWrite(): Promise<string | undefined> {
    try {
      await this.query('write', PROBE, []);
    } catch {
      // query() recorded and logged the failure.
    }
    return this.failure;
  }

  get writeFailure(): string | undefined {
    return this.failure;
  }

  /** Stops the sweeper and waits for a sweep in flight: the pool closes after this. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sweeping;
  }

  private sweepQuietly(): void {
    this.sweeping = Promise.resolve(this.sweeping)
      .then(() => this.sweep())
      .catch(() => undefined); // recorded by query(); the next sweep tries again
  }

  private async query<R extends QueryResultRow = QueryResultRow>(kind: 'read' | 'write', sql: string, values: unknown[]) {
    this.statements[kind] += 1;
    try {
      const result = await this.pool.query<R>(sql, values);
      if (kind === 'write' && this.failure !== undefined) {
        this.logger.log('the database writes again');
        this.failure = undefined;
      }
      return result;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      const detail = describePostgresError(error);
      this.logger.error(
        kind === 'write'
          ? `write refused by the database, nothing stored (not ready until a write succeeds): ${detail}`
          : `read refused by the database (not ready until a write succeeds): ${detail}`,
      );
      this.failure = detail;
      throw new StorageUnavailableError();
    }
  }
}
