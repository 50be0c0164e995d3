import { randomBytes, randomUUID } from 'node:crypto';
import { StatementSync } from 'node:sqlite';
import { Message } from '../messages/message';
import { MessagesRepository, NewMessage, StorageProbe } from '../messages/messages.repository';
import { SqliteDatabase } from './sqlite-database';

interface MessageRow {
  seq: number;
  id: string;
  sender: string;
  recipient: string;
  text: string;
  created_at: string;
}

const CURSOR_KEY = 'cursor_key';

/**
 * Messages in SQLite (the embedded mode). Every query is a prepared statement with bound
 * parameters; every write goes through `SqliteDatabase.write()` or `transaction()` (runs the
 * statement to its end, so a failed commit throws and is answered 507 instead of being
 * acknowledged), never through `get()` or `iterate()`. node:sqlite is synchronous: the promises
 * of the contract are already settled when returned.
 */
export class SqliteMessagesRepository extends MessagesRepository {
  private readonly insertStatement: StatementSync;
  private readonly inboxStatement: StatementSync;
  private readonly byIdStatement: StatementSync;
  private readonly flagStatement: StatementSync;
  private readonly setFlagStatement: StatementSync;
  private readonly metaStatement: StatementSync;
  private readonly addMetaStatement: StatementSync;

  constructor(readonly database: SqliteDatabase) {
    super();
    const db = database.connection;
    this.insertStatement = db.prepare('INSERT INTO messages (id, sender, recipient, text, created_at) VALUES (?, ?, ?, ?, ?)');
    this.inboxStatement = db.prepare('SELECT * FROM messages WHERE recipient = ? AND seq < ? ORDER BY seq DESC LIMIT ?');
    this.byIdStatement = db.prepare('SELECT * FROM messages WHERE id = ?');
    this.flagStatement = db.prepare('SELECT 1 FROM meta WHERE key = ?');
    this.setFlagStatement = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.metaStatement = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.addMetaStatement = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
  }

  async insert(message: NewMessage): Promise<Message> {
    return this.store(message);
  }

  async inbox(recipient: string, beforeSeq: number, limit: number): Promise<Message[]> {
    const rows = this.inboxStatement.all(recipient, beforeSeq, limit) as unknown as MessageRow[];
    return rows.map(toMessage);
  }

  async findById(id: string): Promise<Message | undefined> {
    const row = this.byIdStatement.get(id) as unknown as MessageRow | undefined;
    return row ? toMessage(row) : undefined;
  }

  async storeOnce(marker: string, messages: readonly NewMessage[]): Promise<boolean> {
    // BEGIN IMMEDIATE takes the write lock first: a second process on the same file waits, then sees the marker.
    return this.database.transaction(() => {
      if (this.flagStatement.get(marker) !== undefined) return false;
      messages.forEach((message) => this.store(message));
      this.database.write(this.setFlagStatement, marker, new Date().toISOString());
      return true;
    });
  }

  async cursorKey(): Promise<Buffer> {
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

  async probe(): Promise<StorageProbe> {
    try {
      this.database.connection.prepare('SELECT 1').get();
    } catch {
      return 'unreachable';
    }
    return this.database.probeWrite() === undefined ? 'up' : 'cannot_write';
  }

  onApplicationShutdown(): void {
    this.database.onApplicationShutdown();
  }

  private store(message: NewMessage): Message {
    const id = randomUUID();
    const createdAt = (message.createdAt ?? new Date()).toISOString();
    const { lastInsertRowid } = this.database.write(this.insertStatement, id, message.from, message.to, message.text, createdAt);
    return { seq: Number(lastInsertRowid), id, from: message.from, to: message.to, text: message.text, createdAt };
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
