import { actChain, buildActClaim, checkActDepth, parseActClaim } from './act-claim';
import { refusalOf } from '../../test-support/refusal.fixture';

describe('act claim', () => {
  it('records the requesting client as actor of a token that had none', () => {
    const act = buildActClaim('user-service', parseActClaim(undefined, 'subject_token'));
    expect(act).toEqual({ sub: 'user-service' });
    expect(actChain(act)).toEqual(['user-service']);
  });

  it('nests the earlier chain under the new actor, keeping only sub and act', () => {
    const previous = parseActClaim(
      { sub: 'gateway', iss: 'x', exp: 1, act: { sub: 'edge', client_id: 'y' } },
      'subject_token',
    );
    expect(previous).toEqual({ sub: 'gateway', act: { sub: 'edge' } });
    const act = buildActClaim('user-service', previous);
    expect(act).toEqual({ sub: 'user-service', act: { sub: 'gateway', act: { sub: 'edge' } } });
    expect(actChain(act)).toEqual(['user-service', 'gateway', 'edge']);
  });

  it.each([['a string'], [['array']], [{ iss: 'no-sub' }], [{ sub: '' }], [{ sub: 'a', act: 7 }], [null]])(
    'refuses a malformed act claim %j',
    (value) => {
      expect(refusalOf(() => parseActClaim(value, 'subject_token'))).toEqual({
        error: 'invalid_request',
        description: 'subject_token act claim is malformed',
      });
    },
  );

  it('refuses an absurdly deep act claim without recursing', () => {
    let deep: Record<string, unknown> = { sub: 'level-0' };
    for (let level = 1; level < 10_000; level += 1) deep = { sub: `level-${level}`, act: deep };
    expect(refusalOf(() => parseActClaim(deep, 'subject_token'))).toEqual({
      error: 'invalid_request',
      description: 'subject_token act claim is nested too deeply',
    });
  });

  it('allows a chain as deep as the policy says, and refuses a deeper one', () => {
    const two = buildActClaim('user-service', { sub: 'gateway' });
    expect(() => checkActDepth(two, 2)).not.toThrow();
    expect(refusalOf(() => checkActDepth(two, 1))).toEqual({
      error: 'invalid_request',
      description: "the delegation chain would hold 2 actors; this client's policy allows at most 1",
    });
  });
});
