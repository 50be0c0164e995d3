import {
  booleanEntry,
  ConfigValues,
  defineAppConfig,
  enumEntry,
  integerEntry,
  LOG_LEVELS,
  LogLevel,
  stringEntry,
  urlEntry,
} from '@baton/config';

/**
 * The demo's configuration: where the three services are, who logs in, and what the demo may do
 * about services that are not running. Defaults are the seed's URLs and the demo users, so
 * `npm run demo` needs no environment at all; docker compose points the URLs at its containers.
 */
export const demoConfig = defineAppConfig('demo', {
  logLevel: enumEntry<LogLevel>('LOG_LEVEL', LOG_LEVELS, {
    description: "Lowest level of the demo's own log lines (the walkthrough trace is always printed)",
    default: 'warn',
  }),
  authServerUrl: urlEntry('AUTH_SERVER_URL', {
    description: 'Where the demo reaches the auth server; normally its issuer',
    default: 'http://localhost:9001',
  }),
  userServiceUrl: urlEntry('USER_SERVICE_URL', {
    description: 'Where the demo reaches user-service',
    default: 'http://localhost:8080',
  }),
  messageServiceUrl: urlEntry('MESSAGE_SERVICE_URL', {
    description: 'Where the demo reaches message-service',
    default: 'http://localhost:8081',
  }),
  authTokenEndpoint: urlEntry('AUTH_TOKEN_ENDPOINT', {
    description: "Token endpoint for the exchange of step 3; empty: found through the auth server's discovery, as user-service does",
    default: '',
  }),
  username: stringEntry('DEMO_USERNAME', { description: 'User who logs in at step 2', default: 'alice' }),
  password: stringEntry('DEMO_PASSWORD', {
    description: "That user's password (the published demo password of alice)",
    default: 'alice-password',
    secret: true,
  }),
  exchangeClientId: stringEntry('TOKEN_EXCHANGE_CLIENT_ID', {
    description: 'Client of steps 1 and 3: the one user-service is registered as',
    default: 'user-service',
  }),
  exchangeClientSecret: stringEntry('TOKEN_EXCHANGE_CLIENT_SECRET', {
    description: "That client's secret (the published demo secret)",
    default: 'secret',
    secret: true,
  }),
  startServices: booleanEntry('DEMO_START_SERVICES', {
    description: 'Start the services that do not answer (built bundles, loopback URLs only) and stop them at the end',
    default: true,
  }),
  dataDir: stringEntry('DEMO_DATA_DIR', {
    description: 'Parent of the data folders of services the demo starts (the same folders as npm start)',
    default: '.data',
  }),
  requestTimeoutMs: integerEntry('DEMO_REQUEST_TIMEOUT_MS', {
    description: 'Time allowed for each HTTP request of the walkthrough, in milliseconds',
    default: 10_000,
    min: 100,
    max: 120_000,
  }),
});

export type DemoConfig = ConfigValues<typeof demoConfig.schema>;
