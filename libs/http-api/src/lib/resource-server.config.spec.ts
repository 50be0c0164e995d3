import { loadConfig } from '@baton/config';
import { resourceServerConfig, resourceServerOptionsFromConfig } from './resource-server.config';

describe('resourceServerConfig (environment)', () => {
  it('has defaults that match the local demo', () => {
    expect(loadConfig(resourceServerConfig, {})).toEqual({
      authIssuer: 'http://localhost:9001',
      authJwksUri: '',
      resourceUri: '',
      authAlgorithms: ['ES256'],
      authClockToleranceSeconds: 5,
      authJwksRefetchIntervalSeconds: 15,
      authVerifiedTokenCacheSize: 10_000,
    });
  });

  it('reads the docker values and refuses unsafe algorithms in one line', () => {
    const config = loadConfig(resourceServerConfig, {
      AUTH_JWKS_URI: 'http://auth-server:9001/oauth2/jwks',
      AUTH_ALGORITHMS: 'ES256,RS256',
    });
    expect(config.authJwksUri).toBe('http://auth-server:9001/oauth2/jwks');
    expect(config.authAlgorithms).toEqual(['ES256', 'RS256']);
    expect(() => loadConfig(resourceServerConfig, { AUTH_ALGORITHMS: 'ES256 HS256' })).toThrow(
      'AUTH_ALGORITHMS must list algorithms from ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA, got "ES256 HS256"',
    );
  });
});

describe('resourceServerOptionsFromConfig', () => {
  it('maps the AUTH_* values, an empty AUTH_JWKS_URI meaning discovery', () => {
    const values = loadConfig(resourceServerConfig, { AUTH_ISSUER: 'http://localhost:9001', AUTH_ALGORITHMS: 'RS256' });
    expect(resourceServerOptionsFromConfig(values, { audience: 'user-service' })).toEqual({
      issuer: 'http://localhost:9001',
      audience: 'user-service',
      realm: 'user-service',
      jwksUri: undefined,
      algorithms: ['RS256'],
      clockToleranceSeconds: 5,
      jwksRefetchMinIntervalMs: 15_000,
      verifiedTokenCacheSize: 10_000,
    });
    expect(
      resourceServerOptionsFromConfig(loadConfig(resourceServerConfig, { AUTH_VERIFIED_TOKEN_CACHE_SIZE: '0' }), { audience: 'a' }).verifiedTokenCacheSize,
    ).toBe(0);
    expect(() => loadConfig(resourceServerConfig, { AUTH_VERIFIED_TOKEN_CACHE_SIZE: '-1' })).toThrow('AUTH_VERIFIED_TOKEN_CACHE_SIZE');
    const docker = loadConfig(resourceServerConfig, { AUTH_JWKS_URI: 'http://auth-server:9001/oauth2/jwks' });
    expect(resourceServerOptionsFromConfig(docker, { audience: 'a', realm: 'r' })).toMatchObject({
      jwksUri: 'http://auth-server:9001/oauth2/jwks',
      realm: 'r',
    });
  });
});
