import fc from 'fast-check';
import { grantScope } from './grant-scope';
import { refusalOf } from '../../test-support/refusal.fixture';
import { TokenExchangeRefusal } from './token-exchange-refusal';

const subject = ['openid', 'user.read', 'message.read', 'message.write'];
const target = ['message.read', 'message.write'];

describe('grantScope', () => {
  it('grants the whole intersection when no scope is requested', () => {
    expect(grantScope({ subject, target, policy: ['message.read', 'message.write'] })).toEqual([
      'message.read',
      'message.write',
    ]);
    expect(grantScope({ subject, target, policy: ['message.read'] })).toEqual(['message.read']);
    expect(grantScope({ subject: ['message.write', 'openid'], target })).toEqual(['message.write']);
  });

  it('grants exactly the requested scope when it fits everywhere', () => {
    expect(grantScope({ requested: ['message.read'], subject, target, policy: target })).toEqual(['message.read']);
  });

  it.each([
    [{ requested: ['message.write'], subject: ['message.read'], target }, 'scope message.write is wider than the subject token\'s scope'],
    [{ requested: ['user.read'], subject, target }, 'scope user.read is not offered by the target'],
    [{ requested: ['message.write'], subject, target, policy: ['message.read'] }, "scope message.write is beyond this client's exchange policy"],
    [{ requested: [], subject, target }, 'the requested scope is empty'],
    [
      { subject: ['openid', 'user.read'], target },
      "no scope is left: the subject token's scope, the target's and this client's policy have none in common",
    ],
    [
      { subject, target, policy: ['admin'] },
      "no scope is left: the subject token's scope, the target's and this client's policy have none in common",
    ],
  ])('refuses %j with invalid_scope', (sources, description) => {
    expect(refusalOf(() => grantScope(sources))).toEqual({ error: 'invalid_scope', description });
  });

  it('never grants a scope outside subject ∩ target ∩ policy (property)', () => {
    const scope = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    fc.assert(
      fc.property(
        fc.option(fc.uniqueArray(scope), { nil: undefined }),
        fc.array(scope),
        fc.array(scope),
        fc.option(fc.array(scope), { nil: undefined }),
        (requested, subjectScopes, targetScopes, policyScopes) => {
          try {
            const granted = grantScope({
              ...(requested === undefined ? {} : { requested }),
              subject: subjectScopes,
              target: targetScopes,
              ...(policyScopes === undefined ? {} : { policy: policyScopes }),
            });
            expect(granted.length).toBeGreaterThan(0);
            expect(new Set(granted).size).toBe(granted.length);
            for (const entry of granted) {
              expect(subjectScopes).toContain(entry);
              expect(targetScopes).toContain(entry);
              if (policyScopes !== undefined) expect(policyScopes).toContain(entry);
            }
            if (requested !== undefined) expect(granted).toEqual(requested);
          } catch (error) {
            expect(error).toBeInstanceOf(TokenExchangeRefusal);
            expect((error as TokenExchangeRefusal).error).toBe('invalid_scope');
          }
        },
      ),
    );
  });
});
