/**
 * SQLSTATE classes and codes after which the database cannot store anything now
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html): the answer is 503 with nothing
 * acknowledged, never a 500 and never a half-done write.
 */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58'];
/** 25006 read_only_sql_transaction (a standby, or default_transaction_read_only), 40001/40P01 gave up. */
const UNAVAILABLE_CODES = new Set(['25006', '40001', '40P01']);
/** Errors of the network or the pool rather than of the server. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /query read timeout/i,
];
const UNAVAILABLE_SYSCALL_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

interface PgLikeError {
  code?: unknown;
  message?: unknown;
}

/**
 * True when a query failed because the database cannot be reached or cannot store now (server
 * down or restarting, disk full, out of connections, read-only, statement cancelled by timeout):
 * a failure of the storage, not of the request.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as PgLikeError;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SYSCALL_CODES.has(code) || UNAVAILABLE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/** `53100: could not extend file ...`: SQLSTATE and message for a log line (no stack, no URL, no values). */
export function describePostgresError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message } = error as PgLikeError;
  const text = typeof message === 'string' ? message.replace(/postgres(ql)?:\/\/\S+/gi, 'postgres://…') : 'unknown error';
  return typeof code === 'string' ? `${code}: ${text}` : text;
}
