import { createPostgresPool, describePostgresError, isDatabaseUnavailable, migrate, redactPostgresUrl } from '@baton/postgres';
import { TestPostgres } from './test-postgres';

/*
 * @baton/postgres against the real server TestPostgres starts. The spec lives here, not in
 * libs/postgres: a util lib may not import the testing lib (module boundaries).
 */

jest.setTimeout(60_000);

describe('@baton/postgres against a real PostgreSQL', () => {
  let server: TestPostgres;

  beforeAll(async () => {
    server = await TestPostgres.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('migrates once when eight replicas start at the same moment, and again changes nothing', async () => {
    const url = await server.createDatabase();
    const migrations = [
      { version: 1, sql: 'CREATE TABLE item (id TEXT PRIMARY KEY)' },
      { version: 2, sql: 'ALTER TABLE item ADD COLUMN note TEXT' },
    ];
    const pools = Array.from({ length: 8 }, () => createPostgresPool(url, { applicationName: 'spec', max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool, 'spec', migrations)));
      // Exactly one replica applied the two steps; the others found version 2 already there.
      expect(results.filter((result) => result.from === 0)).toHaveLength(1);
      expect(results.filter((result) => result.from === 2)).toHaveLength(7);
      expect(await migrate(pools[0] as (typeof pools)[number], 'spec', migrations)).toEqual({ from: 2, to: 2 });
      const columns = await server.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'item' ORDER BY column_name",
        [],
        new URL(url).pathname.slice(1),
      );
      expect(columns.map((column) => column.column_name)).toEqual(['id', 'note']);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('migrates several components of several replicas at once on one fresh database', async () => {
    const url = await server.createDatabase();
    const pools = Array.from({ length: 3 }, () => createPostgresPool(url, { applicationName: 'spec', max: 3 }));
    try {
      const components = ['oidc', 'keys', 'limits'];
      await Promise.all(
        pools.flatMap((pool) => components.map((component) => migrate(pool, component, [{ version: 1, sql: `CREATE TABLE ${component}_table (id INT)` }]))),
      );
      const versions = await server.query<{ component: string; version: number }>(
        'SELECT component, version FROM baton_schema_version ORDER BY component',
        [],
        new URL(url).pathname.slice(1),
      );
      expect(versions).toEqual([
        { component: 'keys', version: 1 },
        { component: 'limits', version: 1 },
        { component: 'oidc', version: 1 },
      ]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('refuses a database whose schema is newer than the code', async () => {
    const url = await server.createDatabase();
    const pool = createPostgresPool(url, { applicationName: 'spec' });
    try {
      await migrate(pool, 'spec', [{ version: 3, sql: 'CREATE TABLE newer (id INT)' }]);
      await expect(migrate(pool, 'spec', [{ version: 1, sql: 'CREATE TABLE older (id INT)' }])).rejects.toThrow(
        'the database has spec schema version 3; this build knows up to 1',
      );
    } finally {
      await pool.end();
    }
  });

  it('classifies a stopped server as unavailable, a bad statement as not, and keeps the process alive', async () => {
    const url = await server.createDatabase();
    const idleErrors: Error[] = [];
    const pool = createPostgresPool(url, { applicationName: 'spec', connectionTimeoutMs: 1_000, onIdleError: (error) => idleErrors.push(error) });
    try {
      await pool.query('SELECT 1');
      const syntax = await pool.query('SELEC 1').catch((error: unknown) => error);
      expect(isDatabaseUnavailable(syntax)).toBe(false);
      await server.stopServer();
      const down = await pool.query('SELECT 1').catch((error: unknown) => error);
      expect(isDatabaseUnavailable(down)).toBe(true);
      expect(describePostgresError(down)).not.toContain(new URL(url).password);
      await server.startServer();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('never prints the password of a URL', () => {
    expect(redactPostgresUrl('postgres://baton:s3cret@db:5432/baton?sslmode=require')).toBe('postgres://baton@db:5432/baton');
  });
});
