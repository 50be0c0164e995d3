import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

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

/** The service's SQLite database (node:sqlite): opened and migrated at start, closed at shutdown. */
export class SqliteDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger(SqliteDatabase.name);
  readonly connection: DatabaseSync;

  constructor(readonly location: string) {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    this.connection = new DatabaseSync(location);
    this.connection.exec('PRAGMA busy_timeout = 5000');
    if (location !== ':memory:') this.connection.exec('PRAGMA journal_mode = WAL');
    this.connection.exec(SCHEMA);
    this.logger.log(`Opened ${location}`);
  }

  /** Runs `work` in one transaction: all of it is stored, or none. */
  transaction<T>(work: () => T): T {
    this.connection.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.connection.exec('COMMIT');
      return result;
    } catch (error) {
      this.connection.exec('ROLLBACK');
      throw error;
    }
  }

  onApplicationShutdown(): void {
    if (this.connection.isOpen) this.connection.close();
  }
}
