import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  commonConfig,
  ConfigEntry,
  ConfigProblem,
  ConfigValues,
  defineAppConfig,
  enumEntry,
  portEntry,
  stringEntry,
  urlEntry,
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

export const authServerConfig = withObservabilityRules(defineAppConfig('authServer', {
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
}));

export type AuthServerConfig = ConfigValues<typeof authServerConfig.schema>;
