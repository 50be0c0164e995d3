import { booleanEntry, commonConfig, ConfigEntry, ConfigProblem, defineAppConfig, integerEntry, portEntry, stringEntry } from '@baton/config';
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
  seedDemoData: booleanEntry('MESSAGE_SERVICE_SEED_DEMO_DATA', {
    description: 'Store demo messages for alice and bob on the first start of a database',
    default: true,
  }),
}));

export type MessageServiceConfig = ReturnType<typeof messageServiceConfig.load>;
