import { checkSubjectAudience } from './check-subject-audience';
import { refusalOf } from '../../test-support/refusal.fixture';
import type { TokenExchangePolicy } from '../policy/token-exchange-policy';
import type { VerifiedAccessToken } from '../verification/verified-access-token';

const policy: TokenExchangePolicy = {
  subjectAudiences: ['user-service'],
  targets: ['message-service'],
  allowActorToken: false,
  maxActDepth: 1,
  mode: 'delegation',
};
const token = (aud: string[]): VerifiedAccessToken => ({
  kid: 'k',
  iss: 'http://localhost:9001',
  sub: 'alice',
  aud,
  scopes: [],
  exp: 0,
  claims: {},
});

describe('checkSubjectAudience', () => {
  it('returns the audience under which the client may present the token', () => {
    expect(checkSubjectAudience(token(['user-service']), policy, 'subject_token')).toBe('user-service');
    expect(checkSubjectAudience(token(['other', 'user-service']), policy, 'subject_token')).toBe('user-service');
  });

  it('refuses a token issued to another client\'s resource', () => {
    expect(refusalOf(() => checkSubjectAudience(token(['message-service']), policy, 'subject_token'))).toEqual({
      error: 'invalid_request',
      description:
        'subject_token was not issued to this client (its audience message-service is not one this client may exchange)',
    });
    expect(refusalOf(() => checkSubjectAudience(token(['billing']), policy, 'actor_token')).description).toMatch(
      /^actor_token was not issued to this client/,
    );
  });
});
