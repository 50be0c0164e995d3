import { Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { MESSAGE_TEXT_MAX_LENGTH } from '@baton/dto';
import { createPostgresPool, describePostgresError, isDatabaseUnavailable, migrate, redactPostgresUrl, withTransaction } from '@baton/postgres';
import { Message } from '../messages/message';
import { MessagesRepository, NewMessage, StorageProbe } from '../messages/messages.repository';
import { DatabaseUnavailableException } from './database-unavailable.exception';
import { MessageDatabaseUnusableError } from './message-database-unusable.error';
import { PostgresDpopReplayStore } from './postgres-dpop-replay-store';
import { classifyPostgresFailure } from './postgres-failure';
import { MESSAGES_MIGRATIONS, MESSAGES_SCHEMA_COMPONENT } from './postgres-messages.schema';
import { StorageWriteFailedException } from './storage-write-failed.exception';

interface MessageRow {
  seq: string;
  id: string;
  sender: string;
  recipient: string;
  text: Buffer;
  created_at: Date;
}

export interface PostgresMessagesOptions {
  /** Connections of this process. */
  readonly poolSize: number;
  /** How long start-up waits for a database that does not answer yet (default 30 s). */
  readonly startTimeoutMs?: number;
  /** How long a query waits for a connection (default: the pool's 5 s). */
  readonly connectionTimeoutMs?: number;
}

const CURSOR_KEY = 'cursor_key';
const COLUMNS = 'seq, id, sender, recipient, text, created_at';
const INSERT = 'INSERT INTO messages (id, sender, recipient, text, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq';
/** The canonical form randomUUID() makes: anything else is no message (and no cast error). */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** UTF-8 bytes of the longest text the API accepts (3 bytes per UTF-16 unit at most). */
const LARGEST_TEXT_BYTES = MESSAGE_TEXT_MAX_LENGTH * 3;

/**
 * Messages in PostgreSQL (replicas share one database). A POST is one autocommit INSERT: pg
 * settles the query at ReadyForQuery, which the server sends after the commit (durable with the
 * default synchronous_commit = on), so a resolved `insert` is committed. A GET is one SELECT.
 *
 * Failures are answered like SQLite's full disk: a write the server refused (full, read-only)
 * is 507 and nothing was stored; a server that cannot be reached is 503 with Retry-After; each is
 * one log line with the SQLSTATE and never the URL. The pool reconnects by itself, so the service
 * works again when the database does, without a restart.
 */
export class PostgresMessagesRepository extends MessagesRepository {
  private readonly logger = new Logger(PostgresMessagesRepository.name);

  private constructor(
    private readonly pool: Pool,
    /** The URL without its password: what log lines and errors may name. */
    readonly location: string,
  ) {
    super();
  }

  /**
   * Connects and brings the schema to the newest version (one transaction under an advisory
   * lock: replicas may start at once). Waits up to `startTimeoutMs` for a database that is not
   * up yet (containers start together); anything else is a `MessageDatabaseUnusableError`.
   */
  static async open(url: string, options: PostgresMessagesOptions): Promise<PostgresMessagesRepository> {
    const logger = new Logger(PostgresMessagesRepository.name);
    const location = redactPostgresUrl(url);
    const pool = createPostgresPool(url, {
      applicationName: 'message-service',
      max: options.poolSize,
      connectionTimeoutMs: options.connectionTimeoutMs,
      // The server restarted or the network dropped an idle connection: the pool makes a new one.
      onIdleError: (error) => logger.warn(`an idle database connection broke: ${describePostgresError(error)}`),
    });
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    for (;;) {
      try {
        const { from, to } = await migrate(pool, MESSAGES_SCHEMA_COMPONENT, MESSAGES_MIGRATIONS);
        logger.log(`Opened ${location} (schema ${from === to ? `version ${to}` : `migrated from version ${from} to ${to}`})`);
        await warnWithoutDurableCommits(pool, logger);
        return new PostgresMessagesRepository(pool, location);
      } catch (error) {
        if (isDatabaseUnavailable(error) && Date.now() < deadline) {
          logger.warn(`waiting for the message database ${location}: ${describePostgresError(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          continue;
        }
        await pool.end().catch(() => undefined);
        throw new MessageDatabaseUnusableError(location, describePostgresError(error));
      }
    }
  }

  async insert(message: NewMessage): Promise<Message> {
    const id = randomUUID();
    const createdAt = message.createdAt ?? new Date();
    const { rows } = await this.guarded('write', () =>
      this.pool.query<{ seq: string }>(INSERT, [id, message.from, message.to, Buffer.from(message.text, 'utf8'), createdAt]),
    );
    const seq = rows[0]?.seq;
    if (seq === undefined) throw new Error('the INSERT returned no seq');
    return { seq: Number(seq), id, from: message.from, to: message.to, text: message.text, createdAt: createdAt.toISOString() };
  }

  async inbox(recipient: string, beforeSeq: number, limit: number): Promise<Message[]> {
    const { rows } = await this.guarded('read', () =>
      this.pool.query<MessageRow>(
        `SELECT ${COLUMNS} FROM messages WHERE recipient = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
        [recipient, beforeSeq, limit],
      ),
    );
    return rows.map(toMessage);
  }

  async findById(id: string): Promise<Message | undefined> {
    if (!CANONICAL_UUID.test(id)) return undefined;
    const { rows } = await this.guarded('read', () => this.pool.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE id = $1`, [id]));
    return rows[0] ? toMessage(rows[0]) : undefined;
  }

  async storeOnce(marker: string, messages: readonly NewMessage[]): Promise<boolean> {
    // Read first: a database that had them starts (not ready) even when it refuses writes.
    const done = await this.guarded('read', () => this.pool.query('SELECT 1 FROM message_meta WHERE key = $1', [marker]));
    if (done.rowCount !== 0) return false;
    return this.guarded('write', () =>
      withTransaction(this.pool, async (client) => {
        // A second replica's INSERT of the same key waits for the first one's commit, then does nothing.
        const claimed = await client.query('INSERT INTO message_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
          marker,
          new Date().toISOString(),
        ]);
        if (claimed.rowCount !== 1) return false;
        for (const message of messages) {
          await client.query(INSERT, [randomUUID(), message.from, message.to, Buffer.from(message.text, 'utf8'), message.createdAt ?? new Date()]);
        }
        return true;
      }),
    );
  }

  async cursorKey(): Promise<Buffer> {
    const stored = async (): Promise<string | undefined> =>
      (await this.guarded('read', () => this.pool.query<{ value: string }>('SELECT value FROM message_meta WHERE key = $1', [CURSOR_KEY]))).rows[0]
        ?.value;
    // Read first: a database that has its key starts (not ready) even when it refuses writes.
    let value = await stored();
    if (value === undefined) {
      // Two replicas starting at once on a new database: one key wins, both read it back.
      await this.guarded('write', () =>
        this.pool.query('INSERT INTO message_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
          CURSOR_KEY,
          randomBytes(32).toString('base64url'),
        ]),
      );
      value = await stored();
    }
    if (value === undefined) throw new Error('the cursor key was not stored');
    return Buffer.from(value, 'base64url');
  }

  /**
   * Stores the largest message there can be, in a transaction that is rolled back: it takes the
   * path a real message takes (same table, indexes, TOAST, a new page when one is needed), so it
   * fails exactly when a message would, and leaves nothing behind.
   */
  async probe(): Promise<StorageProbe> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch {
      return 'unreachable';
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(INSERT, [randomUUID(), '', '', randomBytes(LARGEST_TEXT_BYTES), new Date()]);
      return 'up';
    } catch (error) {
      return classifyPostgresFailure(error) === 'write_refused' ? 'cannot_write' : 'unreachable';
    } finally {
      try {
        await client.query('ROLLBACK');
      } catch (error) {
        broken = error as Error; // the connection is gone: do not hand it back to the pool
      }
      client.release(broken);
    }
  }

  /** The DPoP replay store on this database (same pool): replicas on one database share it. */
  dpopReplayStore(): PostgresDpopReplayStore {
    return new PostgresDpopReplayStore(this.pool);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Runs one query (or transaction) and turns a storage failure into the answer the client gets:
   * 507 for a write the server refused, 503 when the server cannot be reached. One log line each.
   */
  private async guarded<T>(kind: 'read' | 'write', work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const failure = classifyPostgresFailure(error);
      if (failure === undefined) throw error;
      const detail = describePostgresError(error);
      if (failure === 'write_refused' && kind === 'write') {
        this.logger.error(`write refused by the database, nothing stored (not ready until a write succeeds): ${detail}`);
        throw new StorageWriteFailedException(detail);
      }
      this.logger.error(`the message database cannot be reached, nothing acknowledged: ${detail}`);
      throw new DatabaseUnavailableException(detail);
    }
  }
}

function toMessage(row: MessageRow): Message {
  return {
    seq: Number(row.seq),
    id: row.id,
    from: row.sender,
    to: row.recipient,
    text: row.text.toString('utf8'),
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * A 201 promises the message survives a crash of the database server; with synchronous_commit
 * off the server answers before its write-ahead log is on disk. Set by the operator, not here
 * (a stricter `remote_apply` must not be lowered), so it is said once at start.
 */
async function warnWithoutDurableCommits(pool: Pool, logger: Logger): Promise<void> {
  const { rows } = await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  if (rows[0]?.synchronous_commit === 'off') {
    logger.warn('synchronous_commit is off on the message database: messages answered 201 can be lost if its server crashes');
  }
}
