import { BadRequestException, INestApplication, Logger, NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@baton/config';
import { MessageListResponse, MessageResponse } from '@baton/dto';
import { Principal } from '@baton/resource-server';
import { AuthServerHarness, startAuthServer, TestPostgres } from '@baton/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { messageServiceConfig, MessageServiceConfig } from '../src/config/message-service.config';
import { openMessagesRepository } from '../src/database/open-message-database';
import { SqliteMessagesRepository } from '../src/database/sqlite-messages.repository';
import { StorageWriteFailedException } from '../src/database/storage-write-failed.exception';
import { DEMO_MESSAGES, DemoMessagesSeeder } from '../src/messages/demo-messages.seeder';
import { MessageCursor } from '../src/messages/message-cursor';
import { MessagesRepository } from '../src/messages/messages.repository';
import { MessagesService } from '../src/messages/messages.service';

jest.setTimeout(120_000);

/** What differs between the engines: where a new database is, and how its writes are made to fail. */
interface Engine {
  /** A new empty database: the value of MESSAGE_SERVICE_DATABASE. */
  newDatabase(): Promise<string>;
  /** From now on the database refuses to store a message (full disk), until `repairWrites`. */
  breakWrites(database: string, repository: MessagesRepository): Promise<void>;
  repairWrites(database: string, repository: MessagesRepository): Promise<void>;
}

let folder: string;
let server: TestPostgres;
const databaseName = (url: string) => new URL(url).pathname.slice(1);

/**
 * SQLite: a file, and `max_page_count` (SQLite answers SQLITE_FULL past it, as on a full disk).
 * PostgreSQL: a database of a real server, and a trigger that answers a message INSERT the way the
 * server answers when its disk is full (SQLSTATE 53100 disk_full); a full file system cannot be
 * made without root here. The read-only database and the stopped server are real (see the
 * PostgreSQL-only tests and message-service.postgres.process.spec.ts).
 */
const engines: [string, Engine][] = [
  [
    'sqlite',
    {
      newDatabase: async () => join(mkdtempSync(join(folder, 'db-')), 'messages.sqlite'),
      breakWrites: async (_database, repository) => {
        const { connection } = (repository as SqliteMessagesRepository).database;
        const { page_count: pages } = connection.prepare('PRAGMA page_count').get() as { page_count: number };
        connection.exec(`PRAGMA max_page_count = ${pages}`);
      },
      repairWrites: async (_database, repository) => {
        (repository as SqliteMessagesRepository).database.connection.exec('PRAGMA max_page_count = 1073741823');
      },
    },
  ],
  [
    'postgres',
    {
      newDatabase: () => server.createDatabase('messages'),
      breakWrites: async (database) => {
        await server.query(
          `CREATE FUNCTION refuse_message() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$`,
          [],
          databaseName(database),
        );
        await server.query('CREATE TRIGGER disk_full BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_message()', [], databaseName(database));
      },
      repairWrites: async (database) => {
        await server.query('DROP TRIGGER disk_full ON messages', [], databaseName(database));
        await server.query('DROP FUNCTION refuse_message()', [], databaseName(database));
      },
    },
  ],
];

function principal(sub: string, act: Principal['act'] = null): Principal {
  return {
    sub,
    clientId: 'demo-app',
    scopes: ['message.read', 'message.write'],
    act,
    token: 'unused',
    claims: { iss: 'x', sub, aud: 'message-service', exp: 0, client_id: 'demo-app' },
  };
}

const open = (database: string) => openMessagesRepository({ database, databasePoolSize: 4 });
const ISO_MILLISECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'message-engines-'));
  server = await TestPostgres.start();
});

afterAll(async () => {
  await server?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe.each(engines)('message storage on %s', (engineName, engine) => {
  describe('the repository contract', () => {
    let database: string;
    let repository: MessagesRepository;
    let service: MessagesService;
    let cursors: MessageCursor;
    const alice = principal('alice');
    const bob = principal('bob');
    const carol = principal('carol');

    beforeEach(async () => {
      database = await engine.newDatabase();
      repository = await open(database);
      cursors = await MessageCursor.load(repository);
      service = new MessagesService(repository, cursors);
    });

    afterEach(async () => {
      await repository.onApplicationShutdown();
    });

    it('stores a message from the caller and lists it in the recipient inbox only', async () => {
      const sent = await service.send(bob, { to: 'alice', text: 'hello' });
      expect(sent).toEqual({ id: expect.stringMatching(UUID), from: 'bob', to: 'alice', text: 'hello', createdAt: expect.stringMatching(ISO_MILLISECONDS) });
      expect((await service.list(alice, {})).messages).toEqual([sent]);
      expect((await service.list(bob, {})).messages).toEqual([]);
      expect((await service.list(carol, {})).messages).toEqual([]);
    });

    it('gives back the stored time to the millisecond, and any text exactly (emoji, U+0000, the longest)', async () => {
      const createdAt = new Date('2026-01-02T03:04:05.678Z');
      const texts = ['\u{1F600} smile', 'before\u0000after', 'é'.repeat(2000), '\u4e2d'.repeat(2000)];
      for (const text of texts) {
        const stored = await repository.insert({ from: 'bob', to: 'alice', text, createdAt });
        expect(stored.createdAt).toBe('2026-01-02T03:04:05.678Z');
        expect(await repository.findById(stored.id)).toEqual(stored);
      }
      expect((await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 10)).map((message) => message.text)).toEqual([...texts].reverse());
    });

    it('says on whose behalf and through whom the call came', async () => {
      expect(await service.list(alice, {})).toMatchObject({ subject: 'alice', actor: null });
      const delegated = principal('alice', { sub: 'user-service', act: { sub: 'gateway' } });
      expect(await service.list(delegated, {})).toMatchObject({ subject: 'alice', actor: 'user-service' });
    });

    it('pages newest first with a cursor until the last page', async () => {
      const texts = Array.from({ length: 7 }, (_, i) => `message ${i}`);
      for (const text of texts) await service.send(bob, { to: 'alice', text });
      await service.send(alice, { to: 'bob', text: 'not in alice inbox' });

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await service.list(alice, { limit: 3, cursor });
        seen.push(...page.messages.map((message) => message.text));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...texts].reverse());
    });

    it('has no next page when the inbox fits exactly', async () => {
      for (let i = 0; i < 3; i += 1) await service.send(bob, { to: 'alice', text: `m${i}` });
      expect((await service.list(alice, { limit: 3 })).nextCursor).toBeNull();
      expect((await service.list(alice, { limit: 2 })).nextCursor).not.toBeNull();
    });

    it('defaults to 20 messages a page', async () => {
      for (let i = 0; i < 25; i += 1) await service.send(bob, { to: 'alice', text: `m${i}` });
      expect((await service.list(alice, {})).messages).toHaveLength(20);
    });

    it("refuses a cursor it did not make, another inbox's, another database's, or one changed by a bit", async () => {
      const made = cursors.encode(5, 'alice');
      const flipped = Buffer.from(made, 'base64url');
      flipped[14] = (flipped[14] ?? 0) ^ 1;
      const other = await open(await engine.newDatabase());
      const foreign = (await MessageCursor.load(other)).encode(5, 'alice');
      await other.onApplicationShutdown();
      for (const cursor of [
        'abc',
        made.slice(1),
        `${made}A`,
        flipped.toString('base64url'),
        Buffer.from('m5').toString('base64url'),
        cursors.encode(5, 'bob'),
        foreign,
      ]) {
        await expect(service.list(alice, { cursor })).rejects.toThrow(BadRequestException);
      }
      await expect(service.list(alice, { cursor: made })).resolves.toBeDefined();
    });

    it('seals cursors: the same position gives a different cursor each time, of one length, decoding to it', () => {
      const first = cursors.encode(7, 'alice');
      const second = cursors.encode(7, 'alice');
      expect(first).not.toBe(second);
      expect(cursors.encode(1, 'alice')).toHaveLength(first.length);
      expect(cursors.encode(Number.MAX_SAFE_INTEGER - 1, 'alice')).toHaveLength(first.length);
      expect(cursors.decode(first, 'alice')).toBe(7);
      expect(cursors.decode(second, 'alice')).toBe(7);
    });

    it('keeps the cursor key in the database: the same for a second instance (a restart, another replica)', async () => {
      const cursor = cursors.encode(9, 'alice');
      const again = await open(database);
      try {
        expect((await MessageCursor.load(again)).decode(cursor, 'alice')).toBe(9);
        expect(await again.cursorKey()).toEqual(await repository.cursorKey());
      } finally {
        await again.onApplicationShutdown();
      }
    });

    it('shows a message to its sender and recipient only; to anyone else it does not exist', async () => {
      const sent = await service.send(bob, { to: 'alice', text: 'private' });
      expect(await service.get(alice, sent.id)).toEqual(sent);
      expect(await service.get(bob, sent.id)).toEqual(sent);
      const otherwise = await service.get(carol, sent.id).catch((error: unknown) => error);
      expect(otherwise).toBeInstanceOf(NotFoundException);
      expect((otherwise as NotFoundException).getResponse()).toEqual({ error: 'not_found', message: 'No such message' });
      // The same answer as for an id that never existed, or is not an id at all, or is one in another spelling.
      for (const id of ['00000000-0000-4000-8000-000000000000', 'no-such-id', sent.id.toUpperCase(), `{${sent.id}}`]) {
        await expect(service.get(alice, id)).rejects.toThrow(NotFoundException);
      }
    });

    it('stores the demo messages on the first start of a database only, once when two start at the same moment', async () => {
      const seeder = (target: MessagesRepository) => new DemoMessagesSeeder(target, { seedDemoData: true });
      const second = await open(database);
      try {
        await Promise.all([seeder(repository).onApplicationBootstrap(), seeder(second).onApplicationBootstrap()]);
        const aliceInbox = await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 100);
        const bobInbox = await second.inbox('bob', Number.MAX_SAFE_INTEGER, 100);
        expect(aliceInbox.length + bobInbox.length).toBe(DEMO_MESSAGES.length);
        expect(aliceInbox.length).toBeGreaterThan(0);
        expect(bobInbox.length).toBeGreaterThan(0);
        expect(aliceInbox.every((message) => message.to === 'alice' && message.from === 'bob')).toBe(true);
        // Newest first, and the seeded times are in the past in that order.
        expect(aliceInbox.map((m) => m.createdAt)).toEqual([...aliceInbox.map((m) => m.createdAt)].sort().reverse());
        expect(aliceInbox.every((m) => Date.parse(m.createdAt) < Date.now())).toBe(true);

        // A later start (a restart) stores nothing, even when the first messages were answered already.
        await seeder(second).onApplicationBootstrap();
        expect(await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 100)).toHaveLength(aliceInbox.length);
        expect(await repository.inbox('bob', Number.MAX_SAFE_INTEGER, 100)).toHaveLength(bobInbox.length);
      } finally {
        await second.onApplicationShutdown();
      }
    });

    it('stores no demo messages when demo data is switched off', async () => {
      await new DemoMessagesSeeder(repository, { seedDemoData: false }).onApplicationBootstrap();
      expect(await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
    });

    it('refuses a write it cannot store with 507 and keeps every acknowledged one; not ready until it can store again', async () => {
      const before = await repository.insert({ from: 'bob', to: 'alice', text: 'before' });
      expect(await repository.probe()).toBe('up');
      await engine.breakWrites(database, repository);
      let refused: unknown;
      for (let attempt = 0; attempt < 200 && refused === undefined; attempt += 1) {
        refused = await repository.insert({ from: 'bob', to: 'alice', text: 'x'.repeat(1900) }).then(
          () => undefined,
          (error: unknown) => error,
        );
      }
      expect(refused).toBeInstanceOf(StorageWriteFailedException);
      expect((refused as StorageWriteFailedException).getStatus()).toBe(507);
      expect((refused as StorageWriteFailedException).getResponse()).toEqual({
        error: 'insufficient_storage',
        message: 'The server could not store this; nothing was stored. Try again later.',
      });
      expect(await repository.probe()).toBe('cannot_write');
      expect((await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 1000)).map((message) => message.id)).toContain(before.id);

      await engine.repairWrites(database, repository);
      expect(await repository.probe()).toBe('up');
      const after = await repository.insert({ from: 'bob', to: 'alice', text: 'after' });
      expect(await repository.findById(after.id)).toEqual(after);
    });
  });

  describe('over HTTP (the app in-process, real tokens)', () => {
    let auth: AuthServerHarness;
    let app: INestApplication;
    let database: string;
    let baseUrl: string;
    let alice: string;
    let bob: string;

    beforeAll(async () => {
      auth = await startAuthServer();
      database = await engine.newDatabase();
      const config: MessageServiceConfig = loadConfig(messageServiceConfig.schema, {
        AUTH_ISSUER: auth.issuer,
        MESSAGE_SERVICE_DATABASE: database,
        LOG_LEVEL: 'silent',
      });
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
        .overrideProvider(messageServiceConfig.KEY)
        .useValue(config)
        .compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.listen(0, '127.0.0.1');
      baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const scope = 'openid message.read message.write';
      [alice, bob] = (
        await Promise.all([
          auth.login('alice', 'alice-password', { resource: 'message-service', scope }),
          auth.login('bob', 'bob-password', { resource: 'message-service', scope }),
        ])
      ).map((tokens) => tokens.access_token);
    });

    afterAll(async () => {
      await app?.close();
      await auth?.stop();
    });

    async function call<T = Record<string, unknown>>(path: string, token: string, body?: unknown) {
      const response = await fetch(`${baseUrl}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as T };
    }
    const inbox = async (token: string) => (await call<MessageListResponse>('/api/messages?limit=100', token)).body.messages;

    it(`seeds the demo inboxes on ${engineName}, and a POST answered 201 is in the list at once`, async () => {
      const seeded = await inbox(alice);
      expect(seeded.length).toBe(DEMO_MESSAGES.filter((message) => message.to === 'alice').length);
      const posted = await call<MessageResponse>('/api/messages', bob, { to: 'alice', text: 'over HTTP' });
      expect(posted.status).toBe(201);
      expect(posted.headers.get('location')).toBe(`/api/messages/${posted.body.id}`);
      expect(posted.body).toEqual({ id: expect.stringMatching(UUID), from: 'bob', to: 'alice', text: 'over HTTP', createdAt: expect.stringMatching(ISO_MILLISECONDS) });
      expect((await inbox(alice))[0]).toEqual(posted.body);
      expect((await call(`/api/messages/${posted.body.id}`, alice)).body).toEqual(posted.body);
    });

    it('pages with limit and nextCursor, newest first, every message once', async () => {
      for (let i = 0; i < 5; i += 1) expect((await call('/api/messages', bob, { to: 'alice', text: `page ${i}` })).status).toBe(201);
      const first = await call<MessageListResponse>('/api/messages?limit=2', alice);
      expect(first.body.messages.map((message) => message.text)).toEqual(['page 4', 'page 3']);
      const everything: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `limit=3&cursor=${cursor}` : 'limit=3';
        const page: { body: MessageListResponse } = await call<MessageListResponse>(`/api/messages?${query}`, alice);
        everything.push(...page.body.messages.map((message) => message.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(everything).toEqual((await inbox(alice)).map((message) => message.id));
      expect(new Set(everything).size).toBe(everything.length);
    });

    it("keeps another user's messages invisible: not in the list, 404 by id", async () => {
      // alice is the outsider of a message from bob to carol.
      const forCarol = await call<MessageResponse>('/api/messages', bob, { to: 'carol', text: 'for carol only' });
      expect(forCarol.status).toBe(201);
      expect((await call(`/api/messages/${forCarol.body.id}`, bob)).body).toEqual(forCarol.body);
      expect((await inbox(alice)).map((message) => message.id)).not.toContain(forCarol.body.id);
      expect((await inbox(bob)).map((message) => message.id)).not.toContain(forCarol.body.id);
      const hidden = await call(`/api/messages/${forCarol.body.id}`, alice);
      expect(hidden).toMatchObject({ status: 404, body: { error: 'not_found', message: 'No such message' } });
      expect((await call('/api/messages/no-such-id', alice)).status).toBe(404);
    });

    it('answers 507 insufficient_storage when the database cannot store, is not ready, and stores again when it can, without a restart', async () => {
      const repository = app.get(MessagesRepository);
      const before = await inbox(alice);
      await engine.breakWrites(database, repository);
      try {
        let refused: { status: number; body: unknown } | undefined;
        for (let attempt = 0; attempt < 200 && refused === undefined; attempt += 1) {
          const answer = await call<MessageResponse>('/api/messages', bob, { to: 'alice', text: `full ${attempt} `.padEnd(1900, 'x') });
          if (answer.status === 201) before.unshift(answer.body);
          else refused = { status: answer.status, body: answer.body };
        }
        expect(refused).toEqual({
          status: 507,
          body: { error: 'insufficient_storage', message: 'The server could not store this; nothing was stored. Try again later.' },
        });
        const notReady = await fetch(`${baseUrl}/health/ready`);
        expect(notReady.status).toBe(503);
        expect(JSON.stringify(await notReady.json())).toContain('the database cannot write');
        // Reads still work, and show every acknowledged message and nothing else.
        expect(await inbox(alice)).toEqual(before);
      } finally {
        await engine.repairWrites(database, repository);
      }
      expect((await fetch(`${baseUrl}/health/ready`)).status).toBe(200);
      expect((await call('/api/messages', bob, { to: 'alice', text: 'stored again' })).status).toBe(201);
    });
  });
});

describe('PostgreSQL only: a read-only database (a standby, default_transaction_read_only)', () => {
  let database: string;
  let repository: MessagesRepository;

  beforeAll(async () => {
    database = await server.createDatabase('readonly');
    repository = await open(database);
  });

  afterAll(async () => {
    await repository?.onApplicationShutdown();
  });

  it('refuses writes with 507 and reads on, ready again once it is writable, with the same connections pool', async () => {
    const kept = await repository.insert({ from: 'bob', to: 'alice', text: 'kept' });
    await server.query(`ALTER DATABASE ${databaseName(database)} SET default_transaction_read_only = on`);
    // Sessions read the setting when they start: end the pool's, as a failover to a standby does.
    await server.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [databaseName(database)]);
    let refused: unknown;
    for (let attempt = 0; attempt < 10 && !(refused instanceof StorageWriteFailedException); attempt += 1) {
      refused = await repository.insert({ from: 'bob', to: 'alice', text: 'refused' }).catch((error: unknown) => error);
    }
    expect(refused).toBeInstanceOf(StorageWriteFailedException);
    expect((refused as StorageWriteFailedException).detail).toMatch(/^25006: /);
    expect(await repository.probe()).toBe('cannot_write');
    expect((await repository.inbox('alice', Number.MAX_SAFE_INTEGER, 10)).map((message) => message.text)).toEqual(['kept']);

    await server.query(`ALTER DATABASE ${databaseName(database)} SET default_transaction_read_only = off`);
    await server.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [databaseName(database)]);
    let probe = await repository.probe();
    for (let attempt = 0; attempt < 10 && probe !== 'up'; attempt += 1) probe = await repository.probe();
    expect(probe).toBe('up');
    const stored = await repository.insert({ from: 'bob', to: 'alice', text: 'writable again' });
    expect(await repository.findById(stored.id)).toEqual(stored);
    expect(await repository.findById(kept.id)).toEqual(kept);
  });
});

describe('PostgreSQL only: durability', () => {
  it('says at start when the database answers before its commits are on disk (synchronous_commit off)', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const durable = await server.createDatabase('durable');
      await (await open(durable)).onApplicationShutdown();
      const message = 'synchronous_commit is off on the message database: messages answered 201 can be lost if its server crashes';
      expect(warnings.mock.calls.map(([text]) => text)).not.toContain(message);

      const lax = await server.createDatabase('lax');
      await server.query(`ALTER DATABASE ${databaseName(lax)} SET synchronous_commit = off`);
      await (await open(lax)).onApplicationShutdown();
      expect(warnings.mock.calls.map(([text]) => text)).toContain(message);
    } finally {
      warnings.mockRestore();
    }
  });
});
