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
      verifiedTokenCacheSize: 10_000,
      dpop: undefined,
      dpopAlgorithms: undefined,
      dpopAlways: false,
    });
  });

  it('resolves dpop: defaults, the public URL from the resource, and refuses what it cannot use', () => {
    const resolved = resolveResourceServerOptions({ ...base, resource: 'https://API.example:443/v1', dpop: {} });
    expect(resolved.dpop).toMatchObject({
      alwaysRequired: false,
      algorithms: ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'],
      iatWindowSeconds: 60,
      publicUrl: 'https://api.example',
      nonces: undefined,
    });
    expect(resolved.dpopAlgorithms).toEqual(['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256']);
    expect(resolveResourceServerOptions({ ...base, dpop: { publicUrl: 'https://gw.example/messages/', required: true } })).toMatchObject({
      dpop: { publicUrl: 'https://gw.example/messages', alwaysRequired: true },
      dpopAlways: true,
    });
    // No public URL at all: the Host header would be the only guess, and it is the caller's.
    expect(() => resolveResourceServerOptions({ ...base, dpop: {} })).toThrow(/publicUrl/);
    expect(() => resolveResourceServerOptions({ ...base, dpop: { publicUrl: 'https://a.example/?x=1' } })).toThrow(ResourceServerConfigurationError);
    expect(() => resolveResourceServerOptions({ ...base, dpop: { publicUrl: 'x', algorithms: ['HS256' as 'ES256'] } })).toThrow(/dpop.algorithms/);
    expect(() => resolveResourceServerOptions({ ...base, resource: 'https://a.example', dpop: { iatWindowSeconds: 0 } })).toThrow(/iatWindowSeconds/);
  });

  it.each([['none'], ['HS256'], ['HS512'], ['Ed448'], ['es256']])('refuses the algorithm %s', (algorithm) => {
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
