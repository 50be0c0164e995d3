import { createLocalJWKSet, jwtVerify } from 'jose';
import { TokenTypeUri } from '@baton/dto';
import { claimsOf, DEMO_CONFIG_FILE, ExchangeFixture, SPRING_MESSAGE_SERVICE } from './support/exchange-fixture';
import { expectRefusal } from './support/expect-refusal';
import { javaUrlEncode, SpringRegistration, springTokenExchangeRequest } from './support/spring-token-exchange-request';

// A real auth server process per file, on a shared machine: no verdict may hang on its speed.
jest.setTimeout(60_000);

/**
 * Issue 12 §1: the seed's Spring services against Baton, unchanged. The demo configuration (the
 * checked-in demo.yaml) registers the seed's client verbatim; each test replays, byte for byte,
 * the request Spring Security 6.3's token-exchange client sends, over real HTTP to the built
 * auth server. The seed's application.yml is in docs/token-exchange.md, "Coming from Spring Security".
 */
describe('token exchange: the seed’s Spring Security client, unchanged', () => {
  let fixture: ExchangeFixture;
  /** alice's token for user-service, from the real login (what the seed's user-service receives). */
  let aliceToken: string;

  /** spring.security.oauth2.client.registration.* of the seed's user-service. */
  const seedRegistration = (method: SpringRegistration['clientAuthenticationMethod']): SpringRegistration => ({
    clientId: 'message-service',
    clientSecret: 'token',
    clientAuthenticationMethod: method,
    scopes: ['message.read'],
  });

  beforeAll(async () => {
    fixture = await ExchangeFixture.start({ configFile: DEMO_CONFIG_FILE });
    aliceToken = (await fixture.login('alice')).access_token;
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  const send = (registration: SpringRegistration, exchange: Parameters<typeof springTokenExchangeRequest>[1]) => {
    const { body, headers } = springTokenExchangeRequest(registration, exchange);
    return fixture.post(body, headers);
  };

  it('replays the bytes Spring 6.3 sends (form order and encoding, headers)', () => {
    expect(springTokenExchangeRequest(seedRegistration('client_secret_basic'), { subjectToken: 'h.p.s', subjectIsJwt: true })).toEqual({
      body:
        'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange' +
        '&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token' +
        '&subject_token=h.p.s' +
        '&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt' +
        '&scope=message.read',
      headers: {
        Accept: 'application/json;charset=UTF-8',
        'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
        Authorization: `Basic ${Buffer.from('message-service:token').toString('base64')}`,
      },
    });
    expect(springTokenExchangeRequest(seedRegistration('client_secret_post'), { subjectToken: 'h.p.s', subjectIsJwt: false }).body).toBe(
      'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange' +
        '&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token' +
        '&subject_token=h.p.s' +
        '&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token' +
        '&scope=message.read&client_id=message-service&client_secret=token',
    );
    // java.net.URLEncoder, not encodeURIComponent: a space is `+`, `~!'()` are escaped, `*` is not.
    expect(javaUrlEncode("a b~!'()*é")).toBe('a+b%7E%21%27%28%29*%C3%A9');
  });

  it.each([
    ['a Jwt principal (subject_token_type jwt)', true, 'client_secret_basic'],
    ['an OAuth2Token principal (subject_token_type access_token)', false, 'client_secret_basic'],
    ['a Jwt principal, client_secret_post', true, 'client_secret_post'],
    ['an OAuth2Token principal, client_secret_post', false, 'client_secret_post'],
  ] as const)('exchanges for %s without audience: a message-service token acted by message-service', async (_label, subjectIsJwt, method) => {
    const audited = fixture.auditEntries().length;
    const response = await send(seedRegistration(method), { subjectToken: aliceToken, subjectIsJwt });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json; ?charset=utf-8$/i);
    expect(response.body).toEqual({
      access_token: expect.any(String),
      issued_token_type: TokenTypeUri.accessToken,
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      scope: 'message.read',
    });
    const jwks = (await (await fetch(`${fixture.issuer}/oauth2/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(response.body['access_token'] as string, createLocalJWKSet(jwks), {
      issuer: fixture.issuer,
      audience: 'message-service',
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({
      sub: 'alice',
      aud: 'message-service',
      client_id: 'message-service',
      scope: 'message.read',
      // The client id is who acts: the seed names its exchanging client after message-service.
      act: { sub: 'message-service' },
    });
    expect(await fixture.auditEntryAfter(audited)).toMatchObject({
      result: 'granted',
      client: 'message-service',
      subjectSub: 'alice',
      fromAudience: 'user-service',
      toAudience: 'message-service',
      scopeRequested: 'message.read',
      scopeGranted: 'message.read',
      mode: 'delegation',
      actChain: ['message-service'],
    });
  });

  it('exchanges with an audience added by the application (addParametersConverter), by name or resource URI', async () => {
    for (const audience of ['message-service', 'http://localhost:8081']) {
      const response = await send(seedRegistration('client_secret_basic'), { subjectToken: aliceToken, subjectIsJwt: true, audience });
      expect(response.status).toBe(200);
      expect(claimsOf(response.body['access_token'] as string)).toMatchObject({ aud: 'message-service', act: { sub: 'message-service' } });
    }
  });

  it('exchanges a registration without scopes for the policy’s scope', async () => {
    const response = await send({ ...seedRegistration('client_secret_basic'), scopes: [] }, { subjectToken: aliceToken, subjectIsJwt: true });
    expect(response.status).toBe(200);
    expect(response.body['scope']).toBe('message.read');
  });

  it('puts the target it chose through every check: a scope the policy does not allow is invalid_scope', async () => {
    await expectRefusal(
      fixture,
      () => send({ ...seedRegistration('client_secret_basic'), scopes: ['message.write'] }, { subjectToken: aliceToken, subjectIsJwt: true }),
      { error: 'invalid_scope', description: "scope message.write is beyond this client's exchange policy" },
    );
  });

  it('refuses an audience the policy does not allow, and a subject token not issued for user-service', async () => {
    await expectRefusal(
      fixture,
      () => send(seedRegistration('client_secret_basic'), { subjectToken: aliceToken, subjectIsJwt: true, audience: 'user-service' }),
      { error: 'invalid_target', description: 'this client may not exchange tokens for user-service' },
    );
    const exchanged = await send(seedRegistration('client_secret_basic'), { subjectToken: aliceToken, subjectIsJwt: true });
    await expectRefusal(
      fixture,
      () => send(seedRegistration('client_secret_basic'), { subjectToken: exchanged.body['access_token'] as string, subjectIsJwt: true }),
      {
        error: 'invalid_request',
        description: 'subject_token was not issued to this client (its audience message-service is not one this client may exchange)',
      },
    );
  });

  it('refuses a wrong secret with 401 invalid_client and WWW-Authenticate, as Spring expects', async () => {
    const response = await expectRefusal(
      fixture,
      () => send({ ...seedRegistration('client_secret_basic'), clientSecret: 'not-token' }, { subjectToken: aliceToken, subjectIsJwt: true }),
      { status: 401, error: 'invalid_client', description: 'client authentication failed' },
    );
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=.*error="invalid_client"/);
    expect(fixture.auditEntries().at(-1)).toMatchObject({ client: SPRING_MESSAGE_SERVICE.id });
  });
});
