import { ConfigEntry, ConfigProblem, ConfigValues, integerEntry, urlEntry } from '@baton/config';
import {
  AccessTokenAlgorithm,
  isSupportedAlgorithm,
  ResourceServerModuleOptions,
  SUPPORTED_ALGORITHMS,
} from '@baton/resource-server';

const algorithms: ConfigEntry<AccessTokenAlgorithm[]> = {
  env: 'AUTH_ALGORITHMS',
  description: 'Accepted access token signature algorithms (comma or space separated)',
  secret: false,
  defaultValue: ['ES256'],
  parse: (raw) => {
    const values = raw.split(/[\s,]+/).filter(Boolean);
    if (values.length === 0 || !values.every(isSupportedAlgorithm)) {
      throw new ConfigProblem(`must list algorithms from ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
    return values as AccessTokenAlgorithm[];
  },
};

/**
 * Configuration entries every resource server shares; spread them into the app's schema:
 * `defineAppConfig('messageService', { ...commonConfig, ...resourceServerConfig, ... })`.
 */
export const resourceServerConfig = {
  authIssuer: urlEntry('AUTH_ISSUER', {
    description: 'Exact `iss` of accepted access tokens (the auth server issuer)',
    default: 'http://localhost:9001',
  }),
  authJwksUri: urlEntry('AUTH_JWKS_URI', {
    description: "The auth server's JWKS URL; empty: found through the issuer's discovery document",
    default: '',
  }),
  authAlgorithms: algorithms,
  authClockToleranceSeconds: integerEntry('AUTH_CLOCK_TOLERANCE_SECONDS', {
    description: 'Leeway for token exp, nbf and iat, in seconds',
    default: 5,
    min: 0,
    max: 300,
  }),
  resourceUri: urlEntry('RESOURCE_URI', {
    description:
      "This service's resource identifier, published in its protected resource metadata (RFC 9728); empty: http://localhost:<the service's port>",
    default: '',
  }),
  authJwksRefetchIntervalSeconds: integerEntry('AUTH_JWKS_REFETCH_INTERVAL_SECONDS', {
    description:
      'A token with an unknown kid makes at most one JWKS fetch per this many seconds; key rotation publishes a new key at least this long before it signs',
    default: 15,
    min: 1,
    max: 3600,
  }),
  authVerifiedTokenCacheSize: integerEntry('AUTH_VERIFIED_TOKEN_CACHE_SIZE', {
    description:
      'Accepted access tokens remembered (by SHA-256, with their signing key) so a token presented again skips its signature check; 0: check every signature every time',
    default: 10_000,
    min: 0,
    max: 1_000_000,
  }),
};

export type ResourceServerConfigValues = ConfigValues<typeof resourceServerConfig>;

/**
 * Module options from the `AUTH_*` entries of an app's configuration:
 * `useFactory: (config) => resourceServerOptionsFromConfig(config, { audience: 'message-service' })`.
 * `defaultResource` is the resource identifier used when `RESOURCE_URI` is empty.
 */
export function resourceServerOptionsFromConfig(
  config: ResourceServerConfigValues,
  service: { audience: string; realm?: string; defaultResource?: string },
): ResourceServerModuleOptions {
  return {
    issuer: config.authIssuer,
    audience: service.audience,
    realm: service.realm ?? service.audience,
    jwksUri: config.authJwksUri || undefined,
    resource: config.resourceUri || service.defaultResource,
    algorithms: config.authAlgorithms,
    clockToleranceSeconds: config.authClockToleranceSeconds,
    jwksRefetchMinIntervalMs: config.authJwksRefetchIntervalSeconds * 1000,
    verifiedTokenCacheSize: config.authVerifiedTokenCacheSize,
  };
}
