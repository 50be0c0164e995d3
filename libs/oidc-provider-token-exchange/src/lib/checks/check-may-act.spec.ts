import { checkMayAct } from './check-may-act';
import { refusalOf } from '../../test-support/refusal.fixture';

const issuer = 'http://localhost:9001';
const client = { sub: 'user-service', clientId: 'user-service' };

describe('checkMayAct', () => {
  it('lets anyone act when the subject token has no may_act', () => {
    expect(() => checkMayAct(undefined, client, issuer)).not.toThrow();
  });

  it.each([[{ sub: 'user-service' }], [{ client_id: 'user-service' }], [{ sub: 'user-service', iss: issuer }]])(
    'lets the party named by may_act %j act',
    (mayAct) => {
      expect(() => checkMayAct(mayAct, client, issuer)).not.toThrow();
    },
  );

  it('matches an actor token\'s subject, not the client, against may_act.sub', () => {
    const actor = { sub: 'batch-job', clientId: 'user-service' };
    expect(() => checkMayAct({ sub: 'batch-job' }, actor, issuer)).not.toThrow();
    expect(refusalOf(() => checkMayAct({ sub: 'user-service' }, actor, issuer))).toEqual({
      error: 'invalid_request',
      description: 'subject_token may_act does not allow this actor to act for its subject',
    });
  });

  it.each([
    [{ sub: 'reporting-service' }, 'subject_token may_act does not allow this client to act for its subject'],
    [{ sub: 'user-service', iss: 'https://elsewhere.example' }, 'subject_token may_act does not allow this client to act for its subject'],
    [{ client_id: 'other' }, 'subject_token may_act does not allow this client to act for its subject'],
    [{ iss: issuer }, 'subject_token may_act claim names no actor'],
    [{}, 'subject_token may_act claim names no actor'],
    ['user-service', 'subject_token may_act claim is malformed'],
    [['user-service'], 'subject_token may_act claim is malformed'],
  ])('refuses may_act %j', (mayAct, description) => {
    expect(refusalOf(() => checkMayAct(mayAct, client, issuer))).toEqual({ error: 'invalid_request', description });
  });
});
