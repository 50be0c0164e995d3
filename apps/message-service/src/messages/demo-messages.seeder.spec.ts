import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../database/sqlite-database';
import { MessageServiceConfig } from '../config/message-service.config';
import { DemoMessagesSeeder } from './demo-messages.seeder';
import { MessagesRepository } from './messages.repository';

describe('DemoMessagesSeeder', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'message-service-'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const start = (file: string, seedDemoData = true) => {
    const database = new SqliteDatabase(file);
    const repository = new MessagesRepository(database);
    new DemoMessagesSeeder(repository, { seedDemoData } as MessageServiceConfig).onApplicationBootstrap();
    return { database, repository };
  };

  it('stores demo messages for alice and bob on the first start of a database only', () => {
    const file = join(folder, 'nested', 'messages.sqlite');
    const first = start(file);
    const alice = first.repository.inbox('alice', Number.MAX_SAFE_INTEGER, 100);
    const bob = first.repository.inbox('bob', Number.MAX_SAFE_INTEGER, 100);
    expect(alice.length).toBeGreaterThan(0);
    expect(bob.length).toBeGreaterThan(0);
    expect(alice.every((message) => message.to === 'alice' && message.from === 'bob')).toBe(true);
    // Newest first, and the seeded times are in the past in that order.
    expect(alice.map((m) => m.createdAt)).toEqual([...alice.map((m) => m.createdAt)].sort().reverse());
    first.database.onApplicationShutdown();

    const second = start(file);
    expect(second.repository.inbox('alice', Number.MAX_SAFE_INTEGER, 100)).toHaveLength(alice.length);
    expect(second.repository.inbox('bob', Number.MAX_SAFE_INTEGER, 100)).toHaveLength(bob.length);
    second.database.onApplicationShutdown();
  });

  it('stores nothing when demo data is switched off', () => {
    const { database, repository } = start(':memory:', false);
    expect(repository.inbox('alice', Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
    database.onApplicationShutdown();
  });
});
