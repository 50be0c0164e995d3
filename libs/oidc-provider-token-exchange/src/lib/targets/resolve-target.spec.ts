import { ExchangeTargets } from './exchange-targets';
import { resolveTarget } from './resolve-target';
import { refusalOf } from '../../test-support/refusal.fixture';
import type { TokenExchangePolicy } from '../policy/token-exchange-policy';

const userService = { audience: 'user-service', resource: 'http://localhost:8080', scopes: ['user.read'], accessTokenTtl: 3600 };
const messageService = {
  audience: 'message-service',
  resource: 'http://localhost:8081',
  scopes: ['message.read', 'message.write'],
  accessTokenTtl: 900,
};
const billingService = { audience: 'billing-service', resource: 'http://localhost:8082', scopes: ['billing.read', 'message.read'], accessTokenTtl: 300 };
const targets = new ExchangeTargets([userService, messageService, billingService]);
const policy: TokenExchangePolicy = {
  subjectAudiences: ['user-service'],
  targets: ['message-service'],
  allowActorToken: false,
  maxActDepth: 1,
  mode: 'delegation',
};
const twoTargets: TokenExchangePolicy = { ...policy, targets: ['message-service', 'billing-service'] };
const unnamed = (scope?: string[]) => ({ audiences: [], resources: [], ...(scope === undefined ? {} : { scope }) });

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

  describe('a request that names no target (what Spring Security sends)', () => {
    it("gets the client's only allowed target, whatever the scope", () => {
      expect(resolveTarget(unnamed(), targets, policy)).toBe(messageService);
      expect(resolveTarget(unnamed(['user.read']), targets, policy)).toBe(messageService);
    });

    it("gets the policy's defaultTarget when the client has several", () => {
      const withDefault = { ...twoTargets, defaultTarget: 'billing-service' };
      expect(resolveTarget(unnamed(), targets, withDefault)).toBe(billingService);
      expect(resolveTarget(unnamed(['message.write']), targets, withDefault)).toBe(billingService);
    });

    it('gets the one allowed target whose scopes hold every requested scope', () => {
      expect(resolveTarget(unnamed(['message.write']), targets, twoTargets)).toBe(messageService);
      expect(resolveTarget(unnamed(['billing.read', 'message.read']), targets, twoTargets)).toBe(billingService);
    });

    it.each([
      [undefined, 'no audience or resource given and no scope to choose a target by'],
      [[], 'no audience or resource given and no scope to choose a target by'],
      [['message.read'], "no audience or resource given and several of this client's targets offer the requested scope"],
      [['message.write', 'billing.read'], "no audience or resource given and none of this client's targets offers every requested scope"],
      [['user.read'], "no audience or resource given and none of this client's targets offers every requested scope"],
    ])('refuses an ambiguous choice (scope %j) with invalid_target, asking to name one', (scope, reason) => {
      expect(refusalOf(() => resolveTarget(unnamed(scope), targets, twoTargets))).toEqual({
        error: 'invalid_target',
        description: `${reason}: name one with audience or resource (this client may ask for message-service, billing-service)`,
      });
    });
  });

  it.each([
    [{ audiences: ['nobody'], resources: [] }, 'audience is not a registered resource server'],
    [{ audiences: ['billing-service'], resources: [] }, 'this client may not exchange tokens for billing-service'],
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
