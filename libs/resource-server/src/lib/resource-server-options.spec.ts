import { loadConfig } from '@baton/config';
import { resourceServerConfig, resourceServerOptionsFromConfig } from './resource-server.config';
import { ResourceServerConfigurationError, resolveResourceServerOptions } from './resource-server-options';

describe('resolveResourceServerOptions', () => {
  const base = { issuer: 'http://localhost:9001', audience: 'message-service' };

  it('applies the defaults', () => {
    expect(resolveResourceServerOptions(base)).toEqual({
      issuer: 'http://localhost:9001',
      audience: 'message-service',
      jwksUri: undefined,
      jwksOrigins: ['http://localhost:9001'],
      resource: undefined,
      resourceMetadataUrl: undefined,
      scopesSupported: undefined,
      algorithms: ['ES256'],
      clockToleranceSeconds: 5,
      realm: 'message-service',
      jwksRefetchMinIntervalMs: 15_000,
      jwksCacheMaxAgeMs: 600_000,
      jwksTimeoutMs: 5_000,
    });
  });

  it.each([['none'], ['HS256'], ['HS512'], ['EdDSA'], ['es256']])('refuses the algorithm %s', (algorithm) => {
    expect(() => resolveResourceServerOptions({ ...base, algorithms: [algorithm as 'ES256'] })).toThrow(
      ResourceServerConfigurationError,
    );
  });

  it('refuses what would make every token fail or the header unsafe', () => {
    expect(() => resolveResourceServerOptions({ ...base, algorithms: [] })).toThrow('at least one');
    expect(() => resolveResourceServerOptions({ ...base, issuer: 'localhost:9001' })).toThrow('issuer must be');
    expect(() => resolveResourceServerOptions({ ...base, jwksUri: 'file:///etc/passwd' })).toThrow('jwksUri must be');
    expect(() => resolveResourceServerOptions({ ...base, audience: ' ' })).toThrow('audience');
    expect(() => resolveResourceServerOptions({ ...base, realm: 'a"b' })).toThrow('realm');
    expect(() => resolveResourceServerOptions({ ...base, clockToleranceSeconds: -1 })).toThrow('clockToleranceSeconds');
  });

  it('places the protected resource metadata as RFC 9728 §3.1 says, and refuses an unusable resource', () => {
    expect(resolveResourceServerOptions({ ...base, resource: 'http://localhost:8081' }).resourceMetadataUrl).toBe(
      'http://localhost:8081/.well-known/oauth-protected-resource',
    );
    expect(resolveResourceServerOptions({ ...base, resource: 'https://api.example/v1/' }).resourceMetadataUrl).toBe(
      'https://api.example/.well-known/oauth-protected-resource/v1',
    );
    expect(() => resolveResourceServerOptions({ ...base, resource: 'http://localhost:8081/#x' })).toThrow('fragment');
    expect(() => resolveResourceServerOptions({ ...base, resource: 'urn:x' })).toThrow('resource must be');
    expect(() => resolveResourceServerOptions({ ...base, scopesSupported: ['a b'] })).toThrow('scopesSupported');
  });

  it('trusts a discovered jwks_uri on the issuer origin and on the configured ones only', () => {
    expect(
      resolveResourceServerOptions({ ...base, trustedJwksOrigins: ['https://keys.example/ignored/path'] }).jwksOrigins,
    ).toEqual(['http://localhost:9001', 'https://keys.example']);
    expect(() => resolveResourceServerOptions({ ...base, trustedJwksOrigins: ['keys.example'] })).toThrow(
      'trustedJwksOrigins must be',
    );
  });

  it('keeps the issuer exactly as configured', () => {
    expect(resolveResourceServerOptions({ ...base, issuer: 'https://id.example/tenant/' }).issuer).toBe(
      'https://id.example/tenant/',
    );
  });
});

describe('resourceServerConfig (environment)', () => {
  it('has defaults that match the local demo', () => {
    expect(loadConfig(resourceServerConfig, {})).toEqual({
      authIssuer: 'http://localhost:9001',
      authJwksUri: '',
      resourceUri: '',
      authAlgorithms: ['ES256'],
      authClockToleranceSeconds: 5,
      authJwksRefetchIntervalSeconds: 15,
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
      'AUTH_ALGORITHMS must list algorithms from ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, got "ES256 HS256"',
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
    });
    const docker = loadConfig(resourceServerConfig, { AUTH_JWKS_URI: 'http://auth-server:9001/oauth2/jwks' });
    expect(resourceServerOptionsFromConfig(docker, { audience: 'a', realm: 'r' })).toMatchObject({
      jwksUri: 'http://auth-server:9001/oauth2/jwks',
      realm: 'r',
    });
  });
});
