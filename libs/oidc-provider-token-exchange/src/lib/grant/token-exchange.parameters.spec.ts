import { TokenTypeUri } from './token-exchange.constants';
import { TokenExchangeRefusal } from './token-exchange-refusal';
import { MAX_TOKEN_LENGTH, parseTokenExchangeParameters, RawTokenExchangeParameters } from './token-exchange.parameters';

const base: RawTokenExchangeParameters = {
  subject_token: 'a.b.c',
  subject_token_type: TokenTypeUri.accessToken,
};

function refusal(raw: RawTokenExchangeParameters): { error: string; description: string } {
  try {
    parseTokenExchangeParameters(raw);
  } catch (error) {
    if (error instanceof TokenExchangeRefusal) return { error: error.error, description: error.error_description };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseTokenExchangeParameters', () => {
  it('reads a minimal request with the defaults of RFC 8693', () => {
    expect(parseTokenExchangeParameters({ ...base, audience: 'message-service' })).toEqual({
      subjectToken: 'a.b.c',
      subjectTokenType: TokenTypeUri.accessToken,
      requestedTokenType: TokenTypeUri.accessToken,
      audiences: ['message-service'],
      resources: [],
    });
  });

  it('reads every parameter, repeated targets de-duplicated, scope split', () => {
    expect(
      parseTokenExchangeParameters({
        subject_token: 's.s.s',
        subject_token_type: TokenTypeUri.jwt,
        actor_token: 'a.a.a',
        actor_token_type: TokenTypeUri.accessToken,
        requested_token_type: TokenTypeUri.jwt,
        audience: ['message-service', 'message-service'],
        resource: ['http://localhost:8081', 'http://localhost:8082'],
        scope: 'message.read  message.write message.read',
      }),
    ).toEqual({
      subjectToken: 's.s.s',
      subjectTokenType: TokenTypeUri.jwt,
      actorToken: 'a.a.a',
      actorTokenType: TokenTypeUri.accessToken,
      requestedTokenType: TokenTypeUri.jwt,
      audiences: ['message-service'],
      resources: ['http://localhost:8081', 'http://localhost:8082'],
      scope: ['message.read', 'message.write'],
    });
  });

  it.each([
    [{ subject_token_type: TokenTypeUri.accessToken }, 'missing required parameter subject_token'],
    [{ subject_token: 'a.b.c' }, 'missing required parameter subject_token_type'],
    [{ ...base, actor_token: 'x.y.z' }, 'actor_token_type is required when actor_token is present'],
    [{ ...base, actor_token_type: TokenTypeUri.accessToken }, 'actor_token_type must not be present without actor_token'],
  ])('refuses a missing or unpaired parameter: %j', (raw, description) => {
    expect(refusal(raw as RawTokenExchangeParameters)).toEqual({ error: 'invalid_request', description });
  });

  it('treats an empty subject_token as missing: nothing falls back', () => {
    expect(refusal({ ...base, subject_token: '' })).toEqual({
      error: 'invalid_request',
      description: 'missing required parameter subject_token',
    });
  });

  it.each(['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'scope'])(
    'refuses a repeated %s',
    (name) => {
      expect(refusal({ ...base, [name]: ['one', 'two'] })).toEqual({
        error: 'invalid_request',
        description: `'${name}' parameter must not be provided twice`,
      });
    },
  );

  it('refuses an unknown token type URI in subject_token_type', () => {
    expect(refusal({ ...base, subject_token_type: 'urn:example:token-type:made-up' })).toEqual({
      error: 'invalid_request',
      description: 'subject_token_type is not a supported token type identifier',
    });
  });

  const issuesOnly =
    'this server issues only access tokens (urn:ietf:params:oauth:token-type:access_token or urn:ietf:params:oauth:token-type:jwt)';

  it.each([
    [TokenTypeUri.idToken, `requested_token_type ${TokenTypeUri.idToken} is not supported: ${issuesOnly}`],
    [TokenTypeUri.refreshToken, `requested_token_type ${TokenTypeUri.refreshToken} is not supported: ${issuesOnly}`],
    [TokenTypeUri.saml1, `requested_token_type ${TokenTypeUri.saml1} is not supported: ${issuesOnly}`],
    [TokenTypeUri.saml2, `requested_token_type ${TokenTypeUri.saml2} is not supported: ${issuesOnly}`],
    ['urn:example:token-type:made-up', `requested_token_type is not a supported token type identifier: ${issuesOnly}`],
  ])('refuses requested_token_type %s, naming what this server issues', (type, description) => {
    expect(refusal({ ...base, requested_token_type: type })).toEqual({ error: 'invalid_request', description });
  });

  it.each([TokenTypeUri.refreshToken, TokenTypeUri.idToken, TokenTypeUri.saml2])(
    'refuses the known but unsupported token type %s',
    (type) => {
      const { error, description } = refusal({ ...base, subject_token_type: type });
      expect(error).toBe('invalid_request');
      expect(description).toContain(`subject_token_type ${type} is not supported`);
    },
  );

  it('refuses an unknown actor_token_type', () => {
    expect(refusal({ ...base, actor_token: 'x.y.z', actor_token_type: 'nope' }).description).toBe(
      'actor_token_type is not a supported token type identifier',
    );
  });

  it('refuses oversized tokens before any parsing, without echoing them', () => {
    const huge = 'x'.repeat(MAX_TOKEN_LENGTH + 1);
    const subject = refusal({ ...base, subject_token: huge });
    expect(subject).toEqual({
      error: 'invalid_request',
      description: `subject_token is too large (more than ${MAX_TOKEN_LENGTH} characters)`,
    });
    expect(refusal({ ...base, actor_token: huge, actor_token_type: TokenTypeUri.accessToken }).description).toMatch(
      /^actor_token is too large/,
    );
  });

  it('refuses an empty audience as a bad target', () => {
    expect(refusal({ ...base, audience: ['message-service', ''] })).toEqual({
      error: 'invalid_target',
      description: 'audience must not be empty',
    });
  });
});
