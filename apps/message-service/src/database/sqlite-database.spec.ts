import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageDatabaseUnusableError } from './message-database-unusable.error';
import { SqliteDatabase } from './sqlite-database';
import { SqliteMessagesRepository } from './sqlite-messages.repository';
import { StorageWriteFailedException } from './storage-write-failed.exception';

describe('SqliteDatabase', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'message-database-'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('creates the database file owner-only (0600), and tightens one left 0644', () => {
    const fresh = join(folder, 'new', 'messages.sqlite');
    new SqliteDatabase(fresh).onApplicationShutdown();
    expect(statSync(fresh).mode & 0o777).toBe(0o600);

    const old = join(folder, 'old.sqlite');
    writeFileSync(old, '');
    chmodSync(old, 0o644);
    new SqliteDatabase(old).onApplicationShutdown();
    expect(statSync(old).mode & 0o777).toBe(0o600);
  });

  it('refuses a corrupt file with one error naming the file and what SQLite said', () => {
    const corrupt = join(folder, 'corrupt.sqlite');
    writeFileSync(corrupt, 'not a database '.repeat(400));
    const attempt = () => new SqliteDatabase(corrupt);
    expect(attempt).toThrow(MessageDatabaseUnusableError);
    expect(attempt).toThrow(`the message database ${corrupt} cannot be used: SQLite error (26): file is not a database`);
  });

  it('throws 507 insufficient_storage when a write cannot be stored, and says so until a write succeeds', async () => {
    const database = new SqliteDatabase(':memory:');
    const repository = new SqliteMessagesRepository(database);
    const { page_count: pages } = database.connection.prepare('PRAGMA page_count').get() as { page_count: number };
    // SQLite answers SQLITE_FULL once the file would grow past this many pages.
    database.connection.exec(`PRAGMA max_page_count = ${pages}`);
    let refused: unknown;
    const stored: string[] = [];
    for (let attempt = 0; attempt < 200 && refused === undefined; attempt += 1) {
      try {
        stored.push((await repository.insert({ from: 'bob', to: 'alice', text: 'x'.repeat(500) })).id);
      } catch (error) {
        refused = error;
      }
    }
    expect(refused).toBeInstanceOf(StorageWriteFailedException);
    const exception = refused as StorageWriteFailedException;
    expect(exception.getStatus()).toBe(507);
    expect(exception.getResponse()).toEqual({
      error: 'insufficient_storage',
      message: 'The server could not store this; nothing was stored. Try again later.',
    });
    expect(database.writeFailure).toBe('SQLITE_FULL (13): database or disk is full');
    // Every acknowledged message is there.
    expect((await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 1000)).map((message) => message.id).sort()).toEqual(stored.sort());

    database.connection.exec(`PRAGMA max_page_count = ${pages + 1000}`);
    expect(await repository.probe()).toBe('up');
    expect(database.writeFailure).toBeUndefined();
    database.onApplicationShutdown();
  });

  it('rolls a transaction back when its commit cannot be stored, and keeps the error', async () => {
    const database = new SqliteDatabase(':memory:');
    const repository = new SqliteMessagesRepository(database);
    const { page_count: pages } = database.connection.prepare('PRAGMA page_count').get() as { page_count: number };
    database.connection.exec(`PRAGMA max_page_count = ${pages}`);
    const many = Array.from({ length: 50 }, () => ({ from: 'bob', to: 'alice', text: 'y'.repeat(500) }));
    await expect(repository.storeOnce('many', many)).rejects.toThrow(StorageWriteFailedException);
    expect(database.connection.isTransaction).toBe(false);
    expect(await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 1000)).toEqual([]);
    // Not marked as done either: the next start tries again.
    expect(database.connection.prepare('SELECT 1 FROM meta WHERE key = ?').get('many')).toBeUndefined();
    database.onApplicationShutdown();
  });
});
