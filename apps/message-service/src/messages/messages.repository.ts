import type { OnApplicationShutdown } from '@nestjs/common';
import { Message } from './message';

export interface NewMessage {
  from: string;
  to: string;
  text: string;
  createdAt?: Date;
}

/**
 * What the readiness probe found: the database stores a message now (`up`), answers but refuses
 * writes (full, read-only: `cannot_write`), or does not answer at all (`unreachable`).
 */
export type StorageProbe = 'up' | 'cannot_write' | 'unreachable';

/**
 * The one storage contract of message-service, and its DI token. Two engines implement it:
 * SQLite (embedded, the default) and PostgreSQL (replicas). Both give the same ordering (`seq`,
 * the order rows were stored in), the same ids (random UUIDs made here), the same timestamps
 * (this process's clock, ISO 8601 with milliseconds) and the same failures: a write the database
 * refused is `StorageWriteFailedException` (507), a database that cannot be reached is
 * `DatabaseUnavailableException` (503 + Retry-After). A resolved `insert` means committed.
 */
export abstract class MessagesRepository implements OnApplicationShutdown {
  /** Stores one message; resolves only once it is committed. */
  abstract insert(message: NewMessage): Promise<Message>;

  /** Messages addressed to `recipient` older than `beforeSeq`, newest first, at most `limit`. */
  abstract inbox(recipient: string, beforeSeq: number, limit: number): Promise<Message[]>;

  abstract findById(id: string): Promise<Message | undefined>;

  /**
   * Stores `messages` in one transaction unless `marker` was stored in this database before
   * (even if those messages were deleted since). Exactly one of several replicas starting at once
   * on one empty database stores them; resolves true for that one.
   */
  abstract storeOnce(marker: string, messages: readonly NewMessage[]): Promise<boolean>;

  /**
   * The key that seals page cursors, made on the first start of a database and kept in it, so a
   * cursor stays valid across restarts and replicas and means nothing to anyone without the database.
   */
  abstract cursorKey(): Promise<Buffer>;

  /** Whether a message could be stored now (readiness). Never throws. */
  abstract probe(): Promise<StorageProbe>;

  /** Closes the database (file or connection pool); Nest calls it last at shutdown. */
  abstract onApplicationShutdown(): void | Promise<void>;
}
