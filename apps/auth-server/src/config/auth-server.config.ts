import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  booleanEntry,
  commonConfig,
  ConfigEntry,
  ConfigProblem,
  ConfigValidationError,
  ConfigValues,
  defineAppConfig,
  enumEntry,
  integerEntry,
  portEntry,
  stringEntry,
  urlEntry,
  urlListEntry,
} from '@baton/config';
import { observabilityConfig, withObservabilityRules } from '@baton/observability';

export const SIGNING_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * The demo file ships next to the built bundle (`dist/apps/auth-server/config/demo.yaml`, copied
 * as an asset); from the sources (tests, ts-node) it is found under the workspace.
 */
function defaultConfigFile(): string {
  const bundled = join(__dirname, 'config', 'demo.yaml');
  return existsSync(bundled) ? bundled : join(process.cwd(), 'apps', 'auth-server', 'config', 'demo.yaml');
}

/** An optional path: unset means "derive it" (`null`), a set value must not be blank. */
function optionalPathEntry(env: string, description: string): ConfigEntry<string | null> {
  return {
    env,
    description,
    secret: false,
    defaultValue: null,
    parse: (raw) => {
      if (raw.trim() === '') throw new ConfigProblem('must not be empty');
      return raw.trim();
    },
  };
}

/** A PostgreSQL URL: secret (it carries the password), never echoed. */
function postgresUrlEntry(env: string, description: string): ConfigEntry<string | null> {
  return {
    env,
    description,
    secret: true,
    defaultValue: null,
    parse: (raw) => {
      const value = raw.trim();
      if (!/^postgres(ql)?:\/\/[^/]/i.test(value)) throw new ConfigProblem('must be a postgres:// or postgresql:// URL');
      try {
        new URL(value);
      } catch {
        throw new ConfigProblem('must be a postgres:// or postgresql:// URL');
      }
      return value;
    },
  };
}

/** The key-encryption secret: never echoed, long enough to derive an AES-256 key from. */
function keyEncryptionKeyEntry(env: string, description: string): ConfigEntry<string | null> {
  return {
    env,
    description,
    secret: true,
    defaultValue: null,
    parse: (raw) => {
      const value = raw.trim();
      if (value.length < 32) throw new ConfigProblem('must be at least 32 characters');
      return value;
    },
  };
}

/** A list of secrets; never echoed, each long enough to sign cookies with. */
function secretListEntry(env: string, description: string): ConfigEntry<string[] | null> {
  return {
    env,
    description,
    secret: true,
    defaultValue: null,
    parse: (raw) => {
      const values = raw
        .split(',')
        .map((value) => value.trim())
        .filter(Boolean);
      if (values.length === 0 || values.some((value) => value.length < 32)) {
        throw new ConfigProblem('must be a comma-separated list of secrets of at least 32 characters');
      }
      return values;
    },
  };
}

export const authServerConfig = withReplicationRules(withObservabilityRules(defineAppConfig('authServer', {
  ...commonConfig,
  ...observabilityConfig,
  port: portEntry('AUTH_SERVER_PORT', { description: 'HTTP port of the auth server', default: 9001 }),
  issuer: urlEntry('AUTH_SERVER_ISSUER', {
    description: 'Issuer identifier: the exact `iss` of every token and the base of discovery',
    default: 'http://localhost:9001',
  }),
  dataDir: stringEntry('AUTH_SERVER_DATA_DIR', {
    description: 'Folder for generated keys, cookie secrets and the SQLite database',
    default: '.data/auth-server',
  }),
  configFile: stringEntry('AUTH_SERVER_CONFIG_FILE', {
    description: 'Declarative YAML/JSON file of resource servers, clients and users',
    default: defaultConfigFile(),
  }),
  database: optionalPathEntry(
    'AUTH_SERVER_DATABASE',
    'SQLite file for sessions, grants, codes and refresh tokens, or :memory: (default: oidc.sqlite in the data folder)',
  ),
  databaseUrl: postgresUrlEntry(
    'AUTH_SERVER_DATABASE_URL',
    'PostgreSQL URL (postgres://user:password@host:5432/db) for replicas: sessions, grants, codes, refresh tokens, abuse limits, signing keys and cookie secrets are shared there (default: unset, SQLite in the data folder)',
  ),
  databasePoolSize: integerEntry('AUTH_SERVER_DATABASE_POOL_SIZE', {
    description: 'PostgreSQL connections per auth-server process (replicas × this must stay under the server\'s max_connections)',
    default: 10,
    min: 1,
    max: 500,
  }),
  keyEncryptionKey: keyEncryptionKeyEntry(
    'AUTH_SERVER_KEY_ENCRYPTION_KEY',
    'With AUTH_SERVER_DATABASE_URL: the secret (at least 32 characters) that encrypts the signing keys and cookie secrets stored in the database',
  ),
  keyEncryptionKeyFile: optionalPathEntry(
    'AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE',
    'With AUTH_SERVER_DATABASE_URL: a file holding that secret instead (e.g. a mounted Kubernetes or Docker secret)',
  ),
  signingAlgorithm: enumEntry<SigningAlgorithm>('AUTH_SERVER_SIGNING_ALG', SIGNING_ALGORITHMS, {
    description: 'JWS algorithm of access and ID tokens; a key for it is generated when none exists',
    default: 'ES256',
  }),
  keysFile: optionalPathEntry(
    'AUTH_SERVER_KEYS_FILE',
    'Private JWKS (JSON) to sign with instead of generated keys; the first key of the algorithm signs',
  ),
  cookieSecrets: secretListEntry(
    'AUTH_SERVER_COOKIE_SECRETS',
    'Comma-separated secrets signing session cookies, first signs (default: generated in the data folder)',
  ),
  loginMaxFailuresPerUser: integerEntry('AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER', {
    description: 'Failed sign-ins per username (existing or not) within the window before that username is refused with 429; 0: no limit',
    default: 5,
    min: 0,
    max: 1_000_000,
  }),
  loginMaxFailuresPerAddress: integerEntry('AUTH_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS', {
    description: 'Failed sign-ins per client IP address within the window before that address is refused with 429; 0: no limit',
    default: 20,
    min: 0,
    max: 1_000_000,
  }),
  loginFailureWindowSeconds: integerEntry('AUTH_SERVER_LOGIN_FAILURE_WINDOW_SECONDS', {
    description: 'How long failed sign-ins are remembered (and a refused username or address waits), in seconds',
    default: 900,
    min: 1,
    max: 86_400,
  }),
  clientAuthMaxFailuresPerAddress: integerEntry('AUTH_SERVER_CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS', {
    description: 'Failed client authentications (401 invalid_client) at the token endpoint per client IP address within the window before that address is refused with 429; 0: no limit',
    default: 30,
    min: 0,
    max: 1_000_000,
  }),
  clientAuthFailureWindowSeconds: integerEntry('AUTH_SERVER_CLIENT_AUTH_FAILURE_WINDOW_SECONDS', {
    description: 'How long failed client authentications are remembered (and a refused address waits), in seconds',
    default: 300,
    min: 1,
    max: 86_400,
  }),
  tokenRatePerClient: integerEntry('AUTH_SERVER_TOKEN_RATE_PER_CLIENT', {
    description: 'Token endpoint requests per second an authenticated client (a public client: per client and IP address) may make on average (429 beyond); 0: no limit',
    default: 200,
    min: 0,
    max: 1_000_000,
  }),
  tokenBurstPerClient: integerEntry('AUTH_SERVER_TOKEN_BURST_PER_CLIENT', {
    description: 'Token endpoint requests a client may make at once before AUTH_SERVER_TOKEN_RATE_PER_CLIENT applies',
    default: 400,
    min: 1,
    max: 1_000_000,
  }),
  dpopRequireNonce: booleanEntry('AUTH_SERVER_DPOP_REQUIRE_NONCE', {
    description:
      'Token endpoint: every DPoP proof must carry a server nonce (RFC 9449 §8); a proof without one is answered 400 use_dpop_nonce with a DPoP-Nonce header to retry with',
    default: false,
  }),
  internalUrls: urlListEntry('AUTH_SERVER_INTERNAL_URLS', {
    description:
      "Other base URLs services inside the network reach this server by (e.g. http://auth-server:9001 behind a proxy), comma-separated: a DPoP proof's htu at the token-exchange and client_credentials grants may name the token endpoint under one of them as well as under the issuer. Empty: the issuer's only",
    default: [],
  }),
  dpopIatWindowSeconds: integerEntry('AUTH_SERVER_DPOP_IAT_WINDOW_SECONDS', {
    description: "How far a DPoP proof's iat may be from the server's clock, either way, at the token-exchange and client_credentials grants, in seconds",
    default: 60,
    min: 5,
    max: 300,
  }),
  trustProxy: booleanEntry('AUTH_SERVER_TRUST_PROXY', {
    description:
      'A load balancer or TLS proxy is in front: take the client address (for the per-address abuse limits) from the last X-Forwarded-For entry and https from X-Forwarded-Proto; always on for an https issuer. Off with nothing in front: a client could pick its own address',
    default: false,
  }),
  allowDemoConfig: booleanEntry('AUTH_SERVER_ALLOW_DEMO_CONFIG', {
    description: 'Production mode only: start even though the declarative file holds the demo client secrets or demo users',
    default: false,
  }),
  allowGeneratedKeys: booleanEntry('AUTH_SERVER_ALLOW_GENERATED_KEYS', {
    description: 'Production mode only: start with signing keys and cookie secrets generated in the data folder',
    default: false,
  }),
  allowInsecureIssuer: booleanEntry('AUTH_SERVER_ALLOW_INSECURE_ISSUER', {
    description: 'Production mode only: start with an http (not https) issuer; cookies are then not Secure',
    default: false,
  }),
})));

/**
 * With AUTH_SERVER_DATABASE_URL the keys and cookie secrets live in the database, encrypted: exactly
 * one of AUTH_SERVER_KEY_ENCRYPTION_KEY and AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE is required then,
 * and neither means anything without it.
 */
function withReplicationRules<C extends { load: () => unknown }>(config: C): C {
  return {
    ...config,
    load: () => {
      const values = config.load() as { databaseUrl: string | null; keyEncryptionKey: string | null; keyEncryptionKeyFile: string | null };
      const given = [values.keyEncryptionKey, values.keyEncryptionKeyFile].filter((value) => value !== null).length;
      if (values.databaseUrl !== null && given !== 1) {
        throw new ConfigValidationError(
          'AUTH_SERVER_KEY_ENCRYPTION_KEY',
          given === 0
            ? 'AUTH_SERVER_DATABASE_URL needs AUTH_SERVER_KEY_ENCRYPTION_KEY or AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE (the signing keys are stored encrypted in the database)'
            : 'set only one of AUTH_SERVER_KEY_ENCRYPTION_KEY and AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE',
        );
      }
      if (values.databaseUrl === null && given > 0) {
        throw new ConfigValidationError(
          'AUTH_SERVER_KEY_ENCRYPTION_KEY',
          'AUTH_SERVER_KEY_ENCRYPTION_KEY(_FILE) is used only with AUTH_SERVER_DATABASE_URL (SQLite mode keeps keys in the data folder)',
        );
      }
      return values;
    },
  };
}

export type AuthServerConfig = ConfigValues<typeof authServerConfig.schema>;
