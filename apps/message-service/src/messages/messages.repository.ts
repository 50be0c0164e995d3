import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { StatementSync } from 'node:sqlite';
import { SqliteDatabase } from '../database/sqlite-database';
import { Message } from './message';

interface MessageRow {
  seq: number;
  id: string;
  sender: string;
  recipient: string;
  text: string;
  created_at: string;
}

export interface NewMessage {
  from: string;
  to: string;
  text: string;
  createdAt?: Date;
}

const CURSOR_KEY = 'cursor_key';

/**
 * Messages in SQLite. Every query is a prepared statement with bound parameters; every write goes
 * through `SqliteDatabase.write()` (runs the statement to its end, so a failed commit throws and
 * is answered 507 instead of being acknowledged), never through `get()` or `iterate()`.
 */
@Injectable()
export class MessagesRepository {
  private readonly insertStatement: StatementSync;
  private readonly inboxStatement: StatementSync;
  private readonly byIdStatement: StatementSync;
  private readonly flagStatement: StatementSync;
  private readonly setFlagStatement: StatementSync;
  private readonly metaStatement: StatementSync;
  private readonly addMetaStatement: StatementSync;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.connection;
    this.insertStatement = db.prepare('INSERT INTO messages (id, sender, recipient, text, created_at) VALUES (?, ?, ?, ?, ?)');
    this.inboxStatement = db.prepare(
      'SELECT * FROM messages WHERE recipient = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    );
    this.byIdStatement = db.prepare('SELECT * FROM messages WHERE id = ?');
    this.flagStatement = db.prepare('SELECT 1 FROM meta WHERE key = ?');
    this.setFlagStatement = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.metaStatement = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.addMetaStatement = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
  }

  insert(message: NewMessage): Message {
    const id = randomUUID();
    const createdAt = (message.createdAt ?? new Date()).toISOString();
    const { lastInsertRowid } = this.database.write(this.insertStatement, id, message.from, message.to, message.text, createdAt);
    return { seq: Number(lastInsertRowid), id, from: message.from, to: message.to, text: message.text, createdAt };
  }

  /** Messages addressed to `recipient` older than `beforeSeq`, newest first. */
  inbox(recipient: string, beforeSeq: number, limit: number): Message[] {
    const rows = this.inboxStatement.all(recipient, beforeSeq, limit) as unknown as MessageRow[];
    return rows.map(toMessage);
  }

  findById(id: string): Message | undefined {
    const row = this.byIdStatement.get(id) as unknown as MessageRow | undefined;
    return row ? toMessage(row) : undefined;
  }

  /** A flag in the meta table, e.g. whether the demo data was stored. */
  flag(name: string): boolean {
    return this.flagStatement.get(name) !== undefined;
  }

  setFlag(name: string): void {
    this.database.write(this.setFlagStatement, name, new Date().toISOString());
  }

  /**
   * The key that seals page cursors, made on the first start of a database and kept in it, so a
   * cursor stays valid across restarts and means nothing to anyone without the database.
   */
  cursorKey(): Buffer {
    const stored = (): { value: string } | undefined => this.metaStatement.get(CURSOR_KEY) as { value: string } | undefined;
    // Read first: a database that exists starts (not ready) on a full disk; only a new one writes.
    let row = stored();
    if (row === undefined) {
      this.database.write(this.addMetaStatement, CURSOR_KEY, randomBytes(32).toString('base64url'));
      row = stored();
    }
    if (row === undefined) throw new Error('the cursor key was not stored');
    return Buffer.from(row.value, 'base64url');
  }

  transaction<T>(work: () => T): T {
    return this.database.transaction(work);
  }
}

function toMessage(row: MessageRow): Message {
  return {
    seq: row.seq,
    id: row.id,
    from: row.sender,
    to: row.recipient,
    text: row.text,
    createdAt: row.created_at,
  };
}
