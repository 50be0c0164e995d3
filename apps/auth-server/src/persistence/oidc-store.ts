import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AdapterPayload } from 'oidc-provider';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';

export const DATABASE_FILE_NAME = 'oidc.sqlite';
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
const SCHEMA_VERSION = 1;

type LookupColumn = 'id' | 'uid' | 'user_code';

/**
 * oidc-provider's state (sessions, interactions, grants, codes, refresh tokens) in one SQLite
 * table (node:sqlite, synchronous: each statement is a few microseconds, and one process owns the
 * file). A file in the data folder by default, so a restart loses nothing; `:memory:` for tests.
 */
@Injectable()
export class OidcStore implements OnModuleDestroy {
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
  };
  private readonly sweeper: NodeJS.Timeout;

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig) {
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
      consume: this.database.prepare('UPDATE oidc_model SET consumed_at = ? WHERE model = ? AND id = ?'),
      destroy: this.database.prepare('DELETE FROM oidc_model WHERE model = ? AND id = ?'),
      revokeByGrantId: this.database.prepare('DELETE FROM oidc_model WHERE grant_id = ?'),
      sweep: this.database.prepare('DELETE FROM oidc_model WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    };
    this.sweep();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const expiresAt = typeof expiresIn === 'number' ? now() + expiresIn : null;
    this.statements.upsert.run(
      model,
      id,
      JSON.stringify(payload),
      payload.grantId ?? null,
      payload.userCode ?? null,
      payload.uid ?? null,
      expiresAt,
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

  consume(model: string, id: string): void {
    this.statements.consume.run(now(), model, id);
  }

  destroy(model: string, id: string): void {
    this.statements.destroy.run(model, id);
  }

  revokeByGrantId(grantId: string): void {
    this.statements.revokeByGrantId.run(grantId);
  }

  /** Deletes expired rows; returns how many. */
  sweep(): number {
    const { changes } = this.statements.sweep.run(now());
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

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    if (this.database.isOpen) this.database.close();
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
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
