/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Names of fields and headers that hold credentials: wherever one appears in a logged object (at
 * the top of the line or nested, in an object or in an array of objects), its value is replaced
 * by `REDACTED`. Header names are the lower-case ones Node gives (`request.headers`,
 * `response.getHeaders()`).
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  // Headers.
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  // A DPoP proof (RFC 9449): a signed, replayable-once credential for one request.
  'dpop',
  // Fields.
  'password',
  'passwordHash',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'subjectToken',
  'subject_token',
  'actorToken',
  'actor_token',
  'assertion',
  'code_verifier',
  'metricsToken',
]);

/**
 * How deep `redactSecrets` looks (the line itself is depth 0). Log lines are small, flat objects;
 * the request line's headers sit at depth 2. Anything deeper than this is cut to `REDACTED` rather
 * than logged unseen: a credential can never slip through below the limit.
 */
const MAX_DEPTH = 6;

/**
 * The value with every credential field replaced by `REDACTED`, in one pass. The caller's object
 * is never changed: only the objects on the way to a secret are copied, and a value without one
 * (the common case) is returned as it is, without any allocation.
 *
 * This is what pino's path-based `redact` did (the header paths and these field names at the top
 * or one level down), for any depth, in a fraction of its time: pino's redaction was 9–16 % of
 * the auth server's CPU. A secret must still never be logged inside a free-text message: log a
 * `jti` or a fingerprint.
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return redactArray(value, depth);
  if (ArrayBuffer.isView(value)) return value;
  return redactObject(value as Record<string, unknown>, depth);
}

/**
 * A plain object is copied as a plain object; anything else (an Error, a class instance) keeps its
 * prototype and every own property, so it logs exactly as before except for the redacted field.
 */
function redactObject(object: Record<string, unknown>, depth: number): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
    const value = object[key];
    let redacted: unknown;
    if (SECRET_FIELDS.has(key)) redacted = value === undefined ? undefined : REDACTED;
    else if (typeof value !== 'object' || value === null) continue;
    else redacted = depth >= MAX_DEPTH ? REDACTED : redactValue(value, depth + 1);
    if (redacted === value) continue;
    copy ??= copyOf(object);
    Object.defineProperty(copy, key, { value: redacted, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? object;
}

function copyOf(object: Record<string, unknown>): Record<string, unknown> {
  const prototype = Object.getPrototypeOf(object) as object | null;
  if (prototype === Object.prototype || prototype === null) return { ...object };
  return Object.create(prototype, Object.getOwnPropertyDescriptors(object)) as Record<string, unknown>;
}

function redactArray(array: readonly unknown[], depth: number): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let index = 0; index < array.length; index += 1) {
    const value = array[index];
    if (typeof value !== 'object' || value === null) continue;
    const redacted = depth >= MAX_DEPTH ? REDACTED : redactValue(value, depth + 1);
    if (redacted === value) continue;
    copy ??= [...array];
    copy[index] = redacted;
  }
  return copy ?? array;
}
