import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
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

/** Messages in SQLite. Every query is a prepared statement with bound parameters. */
@Injectable()
export class MessagesRepository {
  private readonly insertStatement: StatementSync;
  private readonly inboxStatement: StatementSync;
  private readonly byIdStatement: StatementSync;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.connection;
    this.insertStatement = db.prepare(
      'INSERT INTO messages (id, sender, recipient, text, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
    );
    this.inboxStatement = db.prepare(
      'SELECT * FROM messages WHERE recipient = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    );
    this.byIdStatement = db.prepare('SELECT * FROM messages WHERE id = ?');
  }

  insert(message: NewMessage): Message {
    const createdAt = (message.createdAt ?? new Date()).toISOString();
    const row = this.insertStatement.get(randomUUID(), message.from, message.to, message.text, createdAt);
    return toMessage(row as unknown as MessageRow);
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
    return this.database.connection.prepare('SELECT 1 FROM meta WHERE key = ?').get(name) !== undefined;
  }

  setFlag(name: string): void {
    this.database.connection
      .prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
      .run(name, new Date().toISOString());
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
