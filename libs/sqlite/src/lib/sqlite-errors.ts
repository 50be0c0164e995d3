/** SQLite primary result codes (https://sqlite.org/rescode.html) of a write that could not be stored. */
const STORAGE_FAILURES: Record<number, string> = {
  8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR',
  13: 'SQLITE_FULL',
};

interface SqliteError {
  errcode: number;
  errstr: string;
}

/** node:sqlite's errors carry SQLite's (extended) result code in `errcode`. */
function asSqliteError(error: unknown): SqliteError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { errcode, errstr } = error as Partial<SqliteError>;
  return typeof errcode === 'number' ? { errcode, errstr: typeof errstr === 'string' ? errstr : 'unknown error' } : undefined;
}

/**
 * True when SQLite refused a write for lack of storage: the disk or the file size limit is full
 * (SQLITE_FULL; EFBIG from a file size limit comes back as SQLITE_IOERR_WRITE), the file cannot be
 * written (SQLITE_IOERR_*), or it became read-only. Extended codes keep the primary one in the low byte.
 */
export function isStorageFailure(error: unknown): boolean {
  const sqlite = asSqliteError(error);
  return sqlite !== undefined && (sqlite.errcode & 0xff) in STORAGE_FAILURES;
}

/** `SQLITE_FULL (13): database or disk is full`: for log lines and start-up errors, never for answers. */
export function describeSqliteError(error: unknown): string {
  const sqlite = asSqliteError(error);
  if (sqlite === undefined) return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const name = STORAGE_FAILURES[sqlite.errcode & 0xff] ?? 'SQLite error';
  return `${name} (${sqlite.errcode}): ${sqlite.errstr}`;
}
