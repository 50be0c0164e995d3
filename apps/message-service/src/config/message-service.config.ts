import { booleanEntry, commonConfig, defineAppConfig, portEntry, stringEntry } from '@baton/config';
import { observabilityConfig, withObservabilityRules } from '@baton/observability';
import { resourceServerConfig } from '@baton/http-api';

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
  database: stringEntry('MESSAGE_SERVICE_DATABASE', {
    description: 'SQLite database file (its folder is created), or :memory:',
    default: '.data/message-service/messages.sqlite',
  }),
  seedDemoData: booleanEntry('MESSAGE_SERVICE_SEED_DEMO_DATA', {
    description: 'Store demo messages for alice and bob on the first start of a database',
    default: true,
  }),
}));

export type MessageServiceConfig = ReturnType<typeof messageServiceConfig.load>;
