import {
  AppConfig,
  booleanEntry,
  commonConfig,
  ConfigValidationError,
  ConfigValues,
  defineAppConfig,
  enumEntry,
  integerEntry,
  portEntry,
  stringEntry,
  urlEntry,
} from '@baton/config';
import { observabilityConfig, withObservabilityRules } from '@baton/observability';
import { resourceServerConfig } from '@baton/http-api';

/** The audience of tokens issued for this service (`aud`), as registered at the auth server. */
export const USER_SERVICE_AUDIENCE = 'user-service';

/** The client authentications the token-exchange client offers (`@baton/token-exchange`). */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** DPoP proof algorithms the token-exchange client signs with. */
const DPOP_ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** The demo client secret, refused when NODE_ENV is production. */
const DEMO_CLIENT_SECRET = 'secret';

const schema = {
  ...commonConfig,
  ...observabilityConfig,
  ...resourceServerConfig,
  port: portEntry('USER_SERVICE_PORT', { description: 'HTTP port of user-service', default: 8080 }),
  authTokenEndpoint: urlEntry('AUTH_TOKEN_ENDPOINT', {
    description: "The auth server's token endpoint; empty: found through the issuer's discovery document",
    default: '',
  }),
  tokenExchangeClientId: stringEntry('TOKEN_EXCHANGE_CLIENT_ID', {
    description: 'Client id of user-service at the auth server (client_secret_basic)',
    default: 'user-service',
  }),
  tokenExchangeClientAuthMethod: enumEntry('TOKEN_EXCHANGE_CLIENT_AUTH_METHOD', CLIENT_AUTH_METHODS, {
    description: 'How user-service authenticates at the token endpoint: the secret in a Basic header or the form, or a JWT signed with its private key (RFC 7523)',
    default: 'client_secret_basic',
  }),
  tokenExchangeClientSecret: stringEntry('TOKEN_EXCHANGE_CLIENT_SECRET', {
    description: 'Client secret of user-service at the auth server (the demo secret is refused in production)',
    default: DEMO_CLIENT_SECRET,
    secret: true,
  }),
  tokenExchangePrivateKeyFile: stringEntry('TOKEN_EXCHANGE_PRIVATE_KEY_FILE', {
    description: 'For private_key_jwt: file holding the private key (PEM, or a JWK as JSON); its public key is registered at the auth server',
    default: '',
  }),
  tokenExchangeDpop: booleanEntry('TOKEN_EXCHANGE_DPOP', {
    description: "Bind exchanged tokens to user-service's DPoP key (RFC 9449): a proof on every exchange and every call to message-service",
    default: true,
  }),
  tokenExchangeDpopKeyFile: stringEntry('TOKEN_EXCHANGE_DPOP_KEY_FILE', {
    description: 'File holding the DPoP private key (PEM, or a JWK as JSON; EC P-256 or Ed25519); empty: a key generated at each start, kept in memory',
    default: '',
  }),
  tokenExchangeDpopAlgorithm: enumEntry('TOKEN_EXCHANGE_DPOP_ALGORITHM', DPOP_ALGORITHMS, {
    description: 'Algorithm of a generated DPoP key (a key file decides by its own type)',
    default: 'ES256',
  }),
  tokenExchangeTimeoutMs: integerEntry('TOKEN_EXCHANGE_TIMEOUT_MS', {
    description: 'Time allowed for one token exchange (its one retry included), in milliseconds',
    default: 5_000,
    min: 50,
    max: 60_000,
  }),
  tokenExchangeCacheSize: integerEntry('TOKEN_EXCHANGE_CACHE_SIZE', {
    description: 'Most exchanged tokens kept in memory (least recently used dropped first)',
    default: 1_000,
    min: 1,
    max: 1_000_000,
  }),
  tokenExchangeCacheEnabled: booleanEntry('TOKEN_EXCHANGE_CACHE_ENABLED', {
    description: 'Reuse exchanged tokens until shortly before they expire (false: exchange on every call)',
    default: true,
  }),
  messageServiceUrl: urlEntry('MESSAGE_SERVICE_URL', {
    description: 'Base URL of message-service',
    default: 'http://localhost:8081',
  }),
  messageServiceAudience: stringEntry('MESSAGE_SERVICE_AUDIENCE', {
    description: 'Audience to exchange tokens for when calling message-service',
    default: 'message-service',
  }),
  downstreamTimeoutMs: integerEntry('DOWNSTREAM_TIMEOUT_MS', {
    description: 'Time allowed for one call to message-service, in milliseconds',
    default: 5_000,
    min: 50,
    max: 60_000,
  }),
};

export type UserServiceConfig = ConfigValues<typeof schema>;

const base = defineAppConfig('userService', schema);

/**
 * user-service configuration: the schema above, plus the rules that production needs a real
 * secret (unless it signs with a key) and a metrics token, and private_key_jwt needs its key file.
 */
export const userServiceConfig: AppConfig<typeof schema> = withObservabilityRules({
  ...base,
  load: () => {
    const values = base.load();
    const usesKey = values.tokenExchangeClientAuthMethod === 'private_key_jwt';
    if (usesKey && values.tokenExchangePrivateKeyFile === '') {
      throw new ConfigValidationError(
        'TOKEN_EXCHANGE_PRIVATE_KEY_FILE',
        'TOKEN_EXCHANGE_PRIVATE_KEY_FILE must name the private key file when TOKEN_EXCHANGE_CLIENT_AUTH_METHOD is private_key_jwt',
      );
    }
    if (!usesKey && values.nodeEnv === 'production' && values.tokenExchangeClientSecret === DEMO_CLIENT_SECRET) {
      throw new ConfigValidationError(
        'TOKEN_EXCHANGE_CLIENT_SECRET',
        'TOKEN_EXCHANGE_CLIENT_SECRET must be set in production (the demo secret is refused)',
      );
    }
    return values;
  },
});
