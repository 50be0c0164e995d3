import { ExchangePolicyError, parseExchangePolicy } from './parse-exchange-policy';
import { DEFAULT_MAX_ACT_DEPTH } from './token-exchange-policy';

const targets = [
  { audience: 'user-service', scopes: ['user.read', 'message.read'] },
  { audience: 'message-service', scopes: ['message.read', 'message.write'] },
  { audience: 'billing', scopes: ['billing.read'] },
];
const context = { clientId: 'user-service', targets };

function problemOf(raw: unknown, clientId = 'user-service'): { path: string; problem: string } {
  try {
    parseExchangePolicy(raw, { clientId, targets });
  } catch (error) {
    if (error instanceof ExchangePolicyError) return { path: error.path, problem: error.problem };
    throw error;
  }
  throw new Error('expected an ExchangePolicyError');
}

describe('parseExchangePolicy', () => {
  it('applies the defaults: own audience, no actor token, DEFAULT_MAX_ACT_DEPTH, delegation', () => {
    expect(parseExchangePolicy({ targets: ['message-service'] }, context)).toEqual({
      subjectAudiences: ['user-service'],
      targets: ['message-service'],
      allowActorToken: false,
      maxActDepth: DEFAULT_MAX_ACT_DEPTH,
      mode: 'delegation',
      requireDpop: false,
    });
    expect(DEFAULT_MAX_ACT_DEPTH).toBe(1);
  });

  it('keeps every field it is given', () => {
    const raw = {
      subjectAudiences: ['user-service'],
      targets: ['message-service', 'billing'],
      defaultTarget: 'billing',
      maxScope: ['message.read'],
      allowActorToken: true,
      maxActDepth: 3,
      mode: 'delegation',
      requireDpop: true,
    };
    expect(parseExchangePolicy(raw, context)).toEqual(raw);
  });

  it('treats null as absent, as YAML writes an empty field', () => {
    expect(parseExchangePolicy({ targets: ['message-service'], maxActDepth: null, mode: null }, context)).toMatchObject({ maxActDepth: 1, mode: 'delegation' });
  });

  it.each([
    [[], '', 'must be a mapping with the fields subjectAudiences, targets, maxScope, allowActorToken, maxActDepth, defaultTarget, mode, requireDpop'],
    [{ targets: ['message-service'], target: 'x' }, 'target', 'unknown field (allowed: subjectAudiences, targets, maxScope, allowActorToken, maxActDepth, defaultTarget, mode, requireDpop)'],
    [{}, 'targets', 'is required'],
    [{ targets: [] }, 'targets', 'must not be empty'],
    [{ targets: 'message-service' }, 'targets', 'must be a list'],
    [{ targets: ['message-service', 'message-service'] }, 'targets', 'lists "message-service" twice'],
    [{ targets: ['nowhere'] }, 'targets[0]', 'names no resource server: "nowhere" (audiences: user-service, message-service, billing)'],
    [{ targets: ['message-service'], subjectAudiences: [] }, 'subjectAudiences', 'must not be empty'],
    [{ targets: ['message-service'], maxScope: ['billing.read'] }, 'maxScope[0]', '"billing.read" is a scope of none of the targets (message.read message.write)'],
    [{ targets: ['message-service'], maxScope: ['a b'] }, 'maxScope[0]', 'must be a scope token (printable ASCII, no spaces, quotes or backslashes), got "a b"'],
    [{ targets: ['message-service'], defaultTarget: 'billing' }, 'defaultTarget', 'must be one of targets (message-service), got "billing"'],
    [{ targets: ['message-service'], mode: 'proxy' }, 'mode', 'must be delegation or impersonation, got "proxy"'],
    [{ targets: ['message-service'], allowActorToken: 'yes' }, 'allowActorToken', 'must be true or false, got "yes"'],
    [{ targets: ['message-service'], requireDpop: 'yes' }, 'requireDpop', 'must be true or false, got "yes"'],
    [{ targets: ['message-service'], maxActDepth: 11 }, 'maxActDepth', 'must be a whole number from 1 to 10, got 11'],
    [{ targets: ['message-service'], mode: 'impersonation', allowActorToken: true }, 'allowActorToken', 'cannot be true with mode impersonation (an impersonation token records no actor)'],
    [{ targets: ['message-service'], mode: 'impersonation', maxActDepth: 2 }, 'maxActDepth', 'has no meaning with mode impersonation (an impersonation token records no actor)'],
  ])('refuses %j at %s', (raw, path, problem) => {
    expect(problemOf(raw)).toEqual({ path, problem });
  });

  it('needs subjectAudiences when no resource server has the client id as audience', () => {
    expect(problemOf({ targets: ['message-service'] }, 'batch-job')).toEqual({
      path: 'subjectAudiences',
      problem: 'is required: no resource server has the audience "batch-job" to default to',
    });
  });

  it('says where the problem is in its message too', () => {
    expect(() => parseExchangePolicy({ targets: ['nowhere'] }, context)).toThrow('targets[0]: names no resource server');
  });
});
