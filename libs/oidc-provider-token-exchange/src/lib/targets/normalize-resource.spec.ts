import { ExchangeTargets } from './exchange-targets';
import { normalizeResource } from './normalize-resource';

describe('normalizeResource', () => {
  it.each([
    ['http://localhost:8081', 'http://localhost:8081/'],
    ['HTTP://LOCALHOST:8081/', 'http://localhost:8081/'],
    ['https://api.example:443/v1', 'https://api.example/v1'],
  ])('compares %s as %s', (uri, normalised) => {
    expect(normalizeResource(uri)).toBe(normalised);
  });

  it('leaves what is not a URL as it is', () => {
    expect(normalizeResource('message-service')).toBe('message-service');
  });

  it('lets the targets find a resource by any spelling of its URI', () => {
    const target = { audience: 'message-service', resource: 'http://localhost:8081', scopes: [], accessTokenTtl: 300 };
    const targets = new ExchangeTargets([target]);
    expect(targets.byResource('http://LOCALHOST:8081/')).toBe(target);
    expect(targets.byResource('http://localhost:8082/')).toBeUndefined();
  });
});
