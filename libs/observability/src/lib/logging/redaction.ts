/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/** Field names that hold credentials wherever they appear in a logged object. */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
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
];

/**
 * pino `redact` paths: the credential headers of requests and responses, and credential fields
 * at the top of a log line or one level down (`{ client: { secret } }`). pino redacts by path,
 * so a secret must never be logged inside a free-text message: log a `jti` or a fingerprint.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
];
