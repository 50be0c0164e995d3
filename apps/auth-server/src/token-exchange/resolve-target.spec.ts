import { ExchangeTargets } from './exchange-targets';
import { resolveTarget } from './resolve-target';
import { refusalOf } from './test-support/refusal.fixture';
import type { TokenExchangePolicy } from './token-exchange.policy';

const userService = { audience: 'user-service', resource: 'http://localhost:8080', scopes: ['user.read'], accessTokenTtl: 3600 };
const messageService = {
  audience: 'message-service',
  resource: 'http://localhost:8081',
  scopes: ['message.read', 'message.write'],
  accessTokenTtl: 900,
};
const targets = new ExchangeTargets([userService, messageService]);
const policy: TokenExchangePolicy = {
  subjectAudiences: ['user-service'],
  targets: ['message-service'],
  allowActorToken: false,
  maxActDepth: 1,
};

describe('resolveTarget', () => {
  it.each([
    [{ audiences: ['message-service'], resources: [] }],
    [{ audiences: [], resources: ['http://localhost:8081'] }],
    [{ audiences: [], resources: ['http://localhost:8081/'] }],
    [{ audiences: ['http://localhost:8081'], resources: [] }],
    [{ audiences: ['message-service'], resources: ['http://localhost:8081'] }],
  ])('finds the target by audience or resource URI: %j', (request) => {
    expect(resolveTarget(request, targets, policy)).toBe(messageService);
  });

  it('refuses a request without target: there is no default', () => {
    expect(refusalOf(() => resolveTarget({ audiences: [], resources: [] }, targets, policy))).toEqual({
      error: 'invalid_target',
      description: 'audience or resource is required',
    });
  });

  it.each([
    [{ audiences: ['billing-service'], resources: [] }, 'audience is not a registered resource server'],
    [{ audiences: [], resources: ['http://localhost:9999'] }, 'resource is not a registered resource server'],
    [{ audiences: [], resources: ['message-service'] }, 'resource must be an absolute URI'],
    [{ audiences: [], resources: ['/relative'] }, 'resource must be an absolute URI'],
    [{ audiences: [], resources: ['http://localhost:8081#top'] }, 'resource must not contain a fragment'],
    [{ audiences: [], resources: ['http://localhost:8081#'] }, 'resource must not contain a fragment'],
    [{ audiences: ['message-service', 'user-service'], resources: [] }, 'only one target (audience or resource) per request'],
    [{ audiences: ['message-service'], resources: ['http://localhost:8080'] }, 'only one target (audience or resource) per request'],
    [{ audiences: ['user-service'], resources: [] }, 'this client may not exchange tokens for user-service'],
  ])('refuses %j with invalid_target', (request, description) => {
    expect(refusalOf(() => resolveTarget(request, targets, policy))).toEqual({ error: 'invalid_target', description });
  });
});
