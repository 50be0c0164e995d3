import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, SQLInputValue, StatementResultingChanges, StatementSync } from 'node:sqlite';
import { describeSqliteError, isStorageFailure } from '@baton/sqlite';
import { MessageDatabaseUnusableError } from './message-database-unusable.error';
import { StorageWriteFailedException } from './storage-write-failed.exception';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages (recipient, seq DESC);
  CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
`;

const WRITE_PROBE_KEY = 'write_probe';
/**
 * What the readiness probe writes once a write has failed. A small row still fits in the last
 * bytes of a full disk where a message does not (a message touches its table page, two index
 * pages and the sequence, and a page split touches more), so the service would come back ready
 * only to refuse the next message. The largest message needs at most about twenty 4 KiB pages;
 * the probe needs more than thirty, so when it is stored there is room for a message again.
 */
const RECOVERY_PROBE_BYTES = 128 * 1024;

/**
 * The service's SQLite database (node:sqlite): opened and migrated at start, closed at shutdown.
 *
 * Every write goes through `write()` or `transaction()`. node:sqlite's `StatementSync.get()` steps
 * a statement once and ignores what `sqlite3_reset` reports, and the commit of an autocommit
 * `INSERT … RETURNING` happens in that reset: on a full disk the row was answered and never
 * stored. `run()` and `exec()` step to the end and throw, so the failure reaches the client.
 */
export class SqliteDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger(SqliteDatabase.name);
  readonly connection: DatabaseSync;
  private readonly writeProbe: StatementSync;
  /** The last write the database refused, until a write succeeds again (read by readiness). */
  private failure: string | undefined;

  constructor(readonly location: string) {
    try {
      if (location !== ':memory:') createOwnerOnly(location);
      this.connection = new DatabaseSync(location);
      this.connection.exec('PRAGMA busy_timeout = 5000');
      if (location !== ':memory:') this.connection.exec('PRAGMA journal_mode = WAL');
      this.connection.exec(SCHEMA);
      this.writeProbe = this.connection.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      );
    } catch (error) {
      // A corrupt, foreign or unreadable file: say which file and what was wrong, once, without a stack.
      throw new MessageDatabaseUnusableError(location, describeSqliteError(error));
    }
    this.logger.log(`Opened ${location}`);
  }

  /** Why the database cannot write, or undefined when the last write succeeded. */
  get writeFailure(): string | undefined {
    return this.failure;
  }

  /** Runs one write statement to its end (so a failed commit throws) and returns its changes. */
  write(statement: StatementSync, ...parameters: SQLInputValue[]): StatementResultingChanges {
    return this.guarded(() => statement.run(...parameters));
  }

  /** Runs `work` in one transaction: all of it is stored, or none. */
  transaction<T>(work: () => T): T {
    return this.guarded(() => {
      this.connection.exec('BEGIN IMMEDIATE');
      try {
        const result = work();
        this.connection.exec('COMMIT');
        return result;
      } catch (error) {
        // A failed COMMIT may already have rolled back (SQLITE_FULL does): ROLLBACK would then throw
        // "no transaction is active" and hide the real error.
        if (this.connection.isTransaction) this.connection.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /**
   * Writes one row to find out whether the database can store now (readiness): a small one while
   * writes succeed (a read-only or completely full database shows at once), a large one after a
   * write failed (the service is ready again only when there is room for a message).
   */
  probeWrite(): string | undefined {
    const stamp = new Date().toISOString();
    try {
      this.write(this.writeProbe, WRITE_PROBE_KEY, this.failure === undefined ? stamp : stamp.padEnd(RECOVERY_PROBE_BYTES, '.'));
    } catch {
      // guarded() recorded and logged the failure.
    }
    return this.failure;
  }

  onApplicationShutdown(): void {
    if (this.connection.isOpen) this.connection.close();
  }

  private guarded<T>(work: () => T): T {
    if (this.connection.isTransaction) return work(); // nested in transaction(): the outer call judges.
    let result: T;
    try {
      result = work();
    } catch (error) {
      if (!isStorageFailure(error)) throw error;
      const detail = describeSqliteError(error);
      // One line per refused write, without a stack; the client gets 507 and no detail.
      this.logger.error(`write refused by the database, nothing stored (not ready until a write succeeds): ${detail}`);
      this.failure = detail;
      throw new StorageWriteFailedException(detail);
    }
    if (this.failure !== undefined) this.logger.log('the message database writes again');
    this.failure = undefined;
    return result;
  }
}

/**
 * Creates the database file owner-only (0600) before SQLite opens it, and tightens a file left
 * group- or world-readable by an earlier version. SQLite gives its -wal and -shm files the
 * database file's mode.
 */
function createOwnerOnly(location: string): void {
  mkdirSync(dirname(location), { recursive: true, mode: 0o700 });
  closeSync(openSync(location, 'a', 0o600));
  if ((statSync(location).mode & 0o077) !== 0) chmodSync(location, 0o600);
}
