import { createPostgresPool } from '@baton/postgres';
import { TestPostgres } from '@baton/testing';
import type { Pool } from 'pg';
import { OIDC_SCHEMA_COMPONENT, PostgresOidcStore } from './postgres-oidc-store';
import { StorageUnavailableError } from './storage-unavailable.error';

jest.setTimeout(120_000);

/** What only the PostgreSQL engine has: migrations, the database's clock, the sweep lock, an outage. */
describe('PostgresOidcStore', () => {
  let postgres: TestPostgres;
  const pools: Pool[] = [];
  const stores: PostgresOidcStore[] = [];

  beforeAll(async () => {
    postgres = await TestPostgres.start();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(stores.splice(0).map((store) => store.onModuleDestroy()));
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  function pool(url: string): Pool {
    const created = createPostgresPool(url, { applicationName: 'postgres-oidc-store-spec', connectionTimeoutMs: 2_000 });
    pools.push(created);
    return created;
  }

  async function open(url: string): Promise<PostgresOidcStore> {
    const store = await PostgresOidcStore.open(pool(url));
    stores.push(store);
    return store;
  }

  const databaseName = (url: string) => new URL(url).pathname.slice(1);

  it('migrates a fresh database once when two replicas start at once, and both then share the rows', async () => {
    const url = await postgres.createDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    expect(await postgres.query('SELECT component, version FROM baton_schema_version', [], databaseName(url))).toEqual([
      { component: OIDC_SCHEMA_COMPONENT, version: 1 },
    ]);
    await a.upsert('Session', 's1', { uid: 'u1', accountId: 'alice' }, 60);
    expect(await b.find('Session', 'uid', 'u1')).toEqual({ uid: 'u1', accountId: 'alice' });
    // A third start (a restart) finds the schema in place.
    await open(url);
    const indexes = await postgres.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'oidc_model' ORDER BY indexname",
      [],
      databaseName(url),
    );
    expect(indexes.map((row) => row.indexname)).toEqual([
      'oidc_model_expires_at',
      'oidc_model_grant_id',
      'oidc_model_pkey',
      'oidc_model_uid',
      'oidc_model_user_code',
    ]);
  });

  it('refuses to start on a database whose schema is newer than it knows', async () => {
    const url = await postgres.createDatabase();
    await open(url);
    await postgres.query('UPDATE baton_schema_version SET version = 99 WHERE component = $1', [OIDC_SCHEMA_COMPONENT], databaseName(url));
    await expect(PostgresOidcStore.open(pool(url))).rejects.toThrow('the database has oidc schema version 99; this build knows up to 1');
  });

  it("expires rows by the database's clock: a replica whose clock is an hour ahead still finds them", async () => {
    const store = await open(await postgres.createDatabase());
    await store.upsert('AuthorizationCode', 'c1', { grantId: 'g1' }, 60);
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_600_000);
    expect(await store.find('AuthorizationCode', 'id', 'c1')).toEqual({ grantId: 'g1' });
    expect(await store.consume('AuthorizationCode', 'c1')).toBe(true);
  });

  it('sweeps at one replica at a time: while another holds the sweep lock, it skips', async () => {
    const url = await postgres.createDatabase();
    const store = await open(url);
    await store.upsert('Interaction', 'gone', { uid: 'x' }, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const other = pool(url);
    const holder = await other.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT pg_advisory_xact_lock(hashtextextended('baton:oidc:sweep', 0))");
      expect(await store.sweep()).toBeUndefined();
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    expect(await store.sweep()).toBe(1);
  });

  it('a stopped database: every query is refused with StorageUnavailableError, logged once each, not ready; back when the server is', async () => {
    const store = await open(await postgres.createDatabase());
    await store.upsert('Session', 's1', { uid: 'u1' }, 600);
    const logged: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(chunk.toString());
      return true;
    });
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(chunk.toString());
      return true;
    });

    await postgres.stopServer();
    try {
      await expect(store.upsert('Session', 's2', { uid: 'u2' }, 600)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.find('Session', 'id', 's1')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.consume('AuthorizationCode', 'c1')).rejects.toMatchObject({ error: 'temporarily_unavailable', statusCode: 503 });
      const failure = await store.probeWrite();
      expect(typeof failure).toBe('string');
      expect(store.writeFailure).toBe(failure);
      await expect(Promise.resolve(store.ping())).rejects.toBeDefined();
    } finally {
      await postgres.startServer();
    }
    const refusals = logged.filter((line) => line.includes('refused by the database'));
    expect(refusals).toHaveLength(4);
    expect(logged.join('')).not.toMatch(/\n\s+at /);
    expect(logged.join('')).not.toContain('postgres://');

    expect(await store.probeWrite()).toBeUndefined();
    expect(store.writeFailure).toBeUndefined();
    expect(await store.find('Session', 'id', 's1')).toEqual({ uid: 'u1' });
    // Nothing of the refused write was stored.
    expect(await store.find('Session', 'id', 's2')).toBeUndefined();
  });
});
