import { Pool, PoolClient, PoolConfig } from 'pg';

export interface PostgresPoolOptions {
  /** Shown in `pg_stat_activity`, so an operator sees which service holds which connections. */
  readonly applicationName: string;
  /** Connections of this process (default 10). Replicas × this must stay under the server's `max_connections`. */
  readonly max?: number;
  /** How long a query may wait for a free connection before it fails (default 5 s). */
  readonly connectionTimeoutMs?: number;
  /** How long one statement may run before the server cancels it (default 10 s). */
  readonly statementTimeoutMs?: number;
  /** Called when an idle connection breaks (the server restarted, the network dropped it): log it, never crash. */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * A connection pool for one PostgreSQL URL with the settings every Baton service uses: bounded
 * waits (a stopped database fails requests in seconds instead of holding them), a statement
 * timeout, TCP keep-alive, and an idle-connection error that is reported instead of taking the
 * process down (pg's Pool emits `error` for those, and an unhandled `error` event would).
 */
export function createPostgresPool(url: string, options: PostgresPoolOptions): Pool {
  const config: PoolConfig = {
    connectionString: url,
    application_name: options.applicationName,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  };
  const pool = new Pool(config);
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

/** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on any error) on one connection. */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection itself is gone: do not hand it back to the pool.
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** `postgres://user@host:port/db`: the URL without its password, for log lines. */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Whether `value` is a PostgreSQL URL (`postgres://` or `postgresql://`), as the services' settings accept. */
export function isPostgresUrl(value: string | undefined | null): value is string {
  return typeof value === 'string' && /^postgres(ql)?:\/\//i.test(value);
}
