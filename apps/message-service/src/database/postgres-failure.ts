import { isDatabaseUnavailable } from '@baton/postgres';

/**
 * SQLSTATEs with which a reachable PostgreSQL refuses to store anything now: 53100 disk_full,
 * 25006 read_only_sql_transaction (a standby, or default_transaction_read_only), 58030 io_error.
 * The same situation as SQLite's full disk: 507, nothing stored.
 */
const WRITE_REFUSED = new Set(['53100', '25006', '58030']);

/**
 * How a failed query is answered: `write_refused` (507 for a write), `unavailable` (503 with
 * Retry-After), or undefined for anything else (a bug: the app's filter answers 500 with an id).
 */
export function classifyPostgresFailure(error: unknown): 'write_refused' | 'unavailable' | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && WRITE_REFUSED.has(code)) return 'write_refused';
  return isDatabaseUnavailable(error) ? 'unavailable' : undefined;
}
