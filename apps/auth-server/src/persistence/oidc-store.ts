import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AdapterPayload } from 'oidc-provider';
import { InjectAppConfig } from '@baton/config';
import { describeSqliteError, isStorageFailure } from '@baton/sqlite';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { LookupColumn, OidcStorage } from './oidc-storage';
import { StorageUnavailableError } from './storage-unavailable.error';

export const DATABASE_FILE_NAME = 'oidc.sqlite';
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
const SCHEMA_VERSION = 1;
/**
 * What the readiness probe writes once a write has failed: more pages than any oidc-provider
 * model row needs (a session or grant is a few KiB), so when the probe is stored there is room
 * again, and the server does not come back ready only to refuse the next sign-in.
 */
const RECOVERY_PROBE_BYTES = 128 * 1024;

/**
 * The embedded engine of OidcStorage (PostgresOidcStore is the replicated one):
 * oidc-provider's state (sessions, interactions, grants, codes, refresh tokens) in one SQLite
 * table (node:sqlite, synchronous: each statement is a few microseconds, and one process owns the
 * file). A file in the data folder by default, so a restart loses nothing; `:memory:` for tests.
 *
 * Every write runs to its end with `run()` (never `get()`, which ignores a failed commit) inside
 * `write()`: a write the disk refuses throws StorageUnavailableError (503
 * `temporarily_unavailable`, nothing acknowledged), is logged once, and readiness reports the
 * database down until a write succeeds again.
 */
@Injectable()
export class OidcStore extends OidcStorage implements OnModuleDestroy {
  private readonly logger = new Logger(OidcStore.name);
  private readonly database: DatabaseSync;
  readonly location: string;
  private readonly statements: {
    upsert: StatementSync;
    find: Record<LookupColumn, StatementSync>;
    consume: StatementSync;
    destroy: StatementSync;
    revokeByGrantId: StatementSync;
    sweep: StatementSync;
    probe: StatementSync;
  };
  /** The last write the database refused, until a write succeeds again (read by readiness). */
  private failure: string | undefined;
  private readonly sweeper: NodeJS.Timeout;

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig) {
    super();
    this.location =
      config.database === ':memory:' ? ':memory:' : resolve(config.database ?? resolve(config.dataDir, DATABASE_FILE_NAME));
    if (this.location !== ':memory:') {
      mkdirSync(dirname(this.location), { recursive: true, mode: 0o700 });
      // Sessions and refresh tokens live here: owner-only, like the keys. SQLite gives its -wal
      // and -shm files the database file's mode.
      closeSync(openSync(this.location, 'a', 0o600));
    }
    this.database = new DatabaseSync(this.location);
    this.migrate();
    const select = (column: LookupColumn): StatementSync =>
      this.database.prepare(
        `SELECT payload, consumed_at FROM oidc_model WHERE model = ? AND ${column} = ? AND (expires_at IS NULL OR expires_at > ?)`,
      );
    this.statements = {
      upsert: this.database.prepare(
        `INSERT INTO oidc_model (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
      ),
      find: { id: select('id'), uid: select('uid'), user_code: select('user_code') },
      // Only an unconsumed, unexpired row: of two requests redeeming one code, one changes it.
      consume: this.database.prepare(
        'UPDATE oidc_model SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL AND (expires_at IS NULL OR expires_at > ?)',
      ),
      destroy: this.database.prepare('DELETE FROM oidc_model WHERE model = ? AND id = ?'),
      revokeByGrantId: this.database.prepare('DELETE FROM oidc_model WHERE grant_id = ?'),
      sweep: this.database.prepare('DELETE FROM oidc_model WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      probe: this.database.prepare(
        `INSERT INTO write_probe (id, written) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET written = excluded.written`,
      ),
    };
    this.sweepQuietly();
    this.sweeper = setInterval(() => this.sweepQuietly(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const expiresAt = typeof expiresIn === 'number' ? now() + expiresIn : null;
    this.write(() =>
      this.statements.upsert.run(
        model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresAt,
      ),
    );
  }

  find(model: string, column: LookupColumn, value: string): AdapterPayload | undefined {
    const row = this.statements.find[column].get(model, value, now()) as
      | { payload: string; consumed_at: number | null }
      | undefined;
    if (row === undefined) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  }

  consume(model: string, id: string): boolean {
    const at = now();
    return Number(this.write(() => this.statements.consume.run(at, model, id, at)).changes) === 1;
  }

  destroy(model: string, id: string): void {
    this.write(() => this.statements.destroy.run(model, id));
  }

  revokeByGrantId(grantId: string): void {
    this.write(() => this.statements.revokeByGrantId.run(grantId));
  }

  /** Deletes expired rows; returns how many. */
  sweep(): number {
    const { changes } = this.write(() => this.statements.sweep.run(now()));
    if (Number(changes) > 0) this.logger.debug(`removed ${changes} expired row(s)`);
    return Number(changes);
  }

  /** Rows of a model that have not expired (for health checks and tests). */
  count(model?: string): number {
    const row = (
      model === undefined
        ? this.database.prepare('SELECT count(*) AS n FROM oidc_model WHERE expires_at IS NULL OR expires_at > ?').get(now())
        : this.database
            .prepare('SELECT count(*) AS n FROM oidc_model WHERE model = ? AND (expires_at IS NULL OR expires_at > ?)')
            .get(model, now())
    ) as { n: number };
    return row.n;
  }

  /** Throws when the database cannot answer. */
  ping(): void {
    this.database.prepare('SELECT 1').get();
  }

  /** Why the database cannot write, or undefined when the last write succeeded. */
  get writeFailure(): string | undefined {
    return this.failure;
  }

  /**
   * Writes one row to find out whether the database can store now (readiness): a small one while
   * writes succeed (a read-only or completely full database shows at once), a large one after a
   * write failed (ready again only when there is room for a sign-in). Returns the failure, if any.
   */
  probeWrite(): string | undefined {
    const stamp = new Date().toISOString();
    try {
      this.write(() => this.statements.probe.run(this.failure === undefined ? stamp : stamp.padEnd(RECOVERY_PROBE_BYTES, '.')));
    } catch {
      // write() recorded and logged the failure.
    }
    return this.failure;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    if (this.database.isOpen) this.database.close();
  }

  /** The periodic sweep must not take the process down when the disk is full: write() logged it. */
  private sweepQuietly(): void {
    try {
      this.sweep();
    } catch {
      // recorded by write(); the next sweep tries again
    }
  }

  /**
   * Runs one write. A storage failure is logged once (SQLite's code, no stack), remembered for
   * readiness, and thrown as StorageUnavailableError; anything else is thrown as it is.
   */
  private write<T>(statement: () => T): T {
    let result: T;
    try {
      result = statement();
    } catch (error) {
      if (!isStorageFailure(error)) throw error;
      const detail = describeSqliteError(error);
      this.logger.error(`write refused by the database, nothing stored (not ready until a write succeeds): ${detail}`);
      this.failure = detail;
      throw new StorageUnavailableError();
    }
    if (this.failure !== undefined) this.logger.log('the database writes again');
    this.failure = undefined;
    return result;
  }

  private migrate(): void {
    if (this.location !== ':memory:') {
      this.database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    }
    this.database.exec('PRAGMA busy_timeout = 2000;');
    const { user_version: version } = this.database.prepare('PRAGMA user_version').get() as { user_version: number };
    if (version > SCHEMA_VERSION) {
      throw new Error(`${this.location} has schema version ${version}; this auth server knows ${SCHEMA_VERSION}`);
    }
    this.database.exec(`
      CREATE TABLE IF NOT EXISTS oidc_model (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        payload TEXT NOT NULL,
        grant_id TEXT,
        user_code TEXT,
        uid TEXT,
        expires_at INTEGER,
        consumed_at INTEGER,
        PRIMARY KEY (model, id)
      ) STRICT;
      CREATE INDEX IF NOT EXISTS oidc_model_grant_id ON oidc_model (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_model_uid ON oidc_model (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_model_user_code ON oidc_model (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_model_expires_at ON oidc_model (expires_at) WHERE expires_at IS NOT NULL;
      -- One row that readiness rewrites to find out whether the database can store.
      CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, written TEXT NOT NULL) STRICT;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
