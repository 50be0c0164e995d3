import { booleanEntry, commonConfig, ConfigEntry, ConfigProblem, defineAppConfig, enumEntry, integerEntry, portEntry, stringEntry, urlEntry } from '@baton/config';
import { observabilityConfig, withObservabilityRules } from '@baton/observability';
import { resourceServerConfig } from '@baton/http-api';
import { isPostgresUrl, redactPostgresUrl } from '@baton/postgres';

const DEFAULT_DATABASE = '.data/message-service/messages.sqlite';

/**
 * `MESSAGE_SERVICE_DATABASE`: a SQLite file (or `:memory:`), or a PostgreSQL URL. A URL carries a
 * password, so the entry is secret: a bad value is never echoed, and the start-up summary shows
 * `messageDatabaseForLogs()` (the path, or the URL without its password) instead of `[secret]`.
 */
function messageDatabaseEntry(): ConfigEntry<string> {
  return {
    env: 'MESSAGE_SERVICE_DATABASE',
    description: `SQLite database file (its folder is created) or :memory: (default ${DEFAULT_DATABASE}); or a postgres:// URL for replicas`,
    secret: true,
    defaultValue: DEFAULT_DATABASE,
    parse: (raw) => {
      const value = raw.trim();
      if (value === '') throw new ConfigProblem('must not be empty');
      if (!/^postgres(ql)?:/i.test(value)) return raw;
      try {
        if (!isPostgresUrl(value) || new URL(value).hostname === '') throw new Error('no host');
      } catch {
        throw new ConfigProblem('must be a SQLite file path, :memory:, or a postgres://user:password@host:5432/database URL');
      }
      return value;
    },
  };
}

/** Which tokens must be DPoP-bound (RFC 9449) to be accepted here. */
export const DPOP_REQUIREMENTS = ['exchanged', 'always', 'never'] as const;
export type DpopRequirement = (typeof DPOP_REQUIREMENTS)[number];

/**
 * `MESSAGE_SERVICE_DPOP_NONCE_SECRET`: empty (the default) asks no DPoP nonce; else the HMAC
 * secret of the nonces (RFC 9449 §9), the same on every replica so each accepts the others'.
 */
function dpopNonceSecretEntry(): ConfigEntry<string> {
  return {
    env: 'MESSAGE_SERVICE_DPOP_NONCE_SECRET',
    description: 'Empty: no DPoP nonces. Else at least 32 characters: the secret of the DPoP nonces, the same on every replica',
    secret: true,
    defaultValue: '',
    parse: (raw) => {
      if (raw !== '' && raw.length < 32) throw new ConfigProblem('must be empty or at least 32 characters');
      return raw;
    },
  };
}

/** The database as a log line may show it: a file path as is, a URL without its password. */
export function messageDatabaseForLogs(database: string): string {
  return isPostgresUrl(database) ? redactPostgresUrl(database) : database;
}

/** message-service configuration: the only place that reads its environment. */
export const messageServiceConfig = withObservabilityRules(defineAppConfig('messageService', {
  ...commonConfig,
  ...observabilityConfig,
  ...resourceServerConfig,
  port: portEntry('MESSAGE_SERVICE_PORT', { description: 'HTTP port of message-service', default: 8081 }),
  audience: stringEntry('MESSAGE_SERVICE_AUDIENCE', {
    description: 'Audience an access token must name to be accepted here',
    default: 'message-service',
  }),
  database: messageDatabaseEntry(),
  databasePoolSize: integerEntry('MESSAGE_SERVICE_DATABASE_POOL_SIZE', {
    description: "With a postgres:// MESSAGE_SERVICE_DATABASE: connections per process (replicas × this must stay under the server's max_connections)",
    default: 10,
    min: 1,
    max: 500,
  }),
  publicUrl: urlEntry('MESSAGE_SERVICE_PUBLIC_URL', {
    description: "The URL clients call message-service at, which DPoP proofs name (htu); empty: RESOURCE_URI's origin",
    default: '',
  }),
  requireDpop: enumEntry('MESSAGE_SERVICE_REQUIRE_DPOP', DPOP_REQUIREMENTS, {
    description: 'Tokens that must be DPoP-bound: exchanged (tokens with act), always, or never (bound tokens are still checked)',
    default: 'exchanged',
  }),
  dpopIatWindowSeconds: integerEntry('MESSAGE_SERVICE_DPOP_IAT_WINDOW_SECONDS', {
    description: 'A DPoP proof must be made within this many seconds of now, either way',
    default: 60,
    min: 1,
    max: 600,
  }),
  dpopNonceSecret: dpopNonceSecretEntry(),
  seedDemoData: booleanEntry('MESSAGE_SERVICE_SEED_DEMO_DATA', {
    description: 'Store demo messages for alice and bob on the first start of a database',
    default: true,
  }),
}));

export type MessageServiceConfig = ReturnType<typeof messageServiceConfig.load>;
