import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from '@baton/dto';
import { signTestDpopProof, TestDpopKey, testDpopKey } from '@baton/oidc-provider-token-exchange/testing';
import { createHash } from 'node:crypto';
import { ExchangeFixture, Form, NARROW, ORCHESTRATOR, REPORTING, TokenResponse, USER_SERVICE } from './support/exchange-fixture';

/** The key a DPoP-bound subject token is bound to; its RFC 7638 thumbprint computed here. */
const boundKey = testDpopKey('ES256');
function thumbprintOf(key: TestDpopKey): string {
  const { crv, kty, x, y } = key.publicJwk as { crv: string; kty: string; x: string; y: string };
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}
const exchangeForm = (subjectToken: string): Form => ({
  grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
  subject_token: subjectToken,
  subject_token_type: TokenTypeUri.accessToken,
  audience: 'message-service',
});

// A real auth server process per file, on a shared machine: no verdict may hang on its speed.
jest.setTimeout(60_000);

/**
 * Every refusal the design promises, over real HTTP against the built auth server: exact status,
 * `error`, a description naming the problem (never the token), `Cache-Control: no-store`, and one
 * audit line with the same error code.
 */
describe('token exchange (RFC 8693): refusals', () => {
  let fixture: ExchangeFixture;
  let aliceToken: string;

  beforeAll(async () => {
    fixture = await ExchangeFixture.start();
    aliceToken = await fixture.mint();
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  /** Sends the request and checks the refusal the client sees and the audit line it leaves. */
  async function expectRefusal(
    send: () => Promise<TokenResponse>,
    expected: { status?: number; error: string; description?: string | RegExp },
  ): Promise<TokenResponse> {
    const audited = fixture.auditEntries().length;
    const response = await send();
    expect({ status: response.status, error: response.body['error'] }).toEqual({
      status: expected.status ?? 400,
      error: expected.error,
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    if (expected.description !== undefined) {
      if (typeof expected.description === 'string') expect(response.body['error_description']).toBe(expected.description);
      else expect(response.body['error_description']).toMatch(expected.description);
    }
    expect(response.body).not.toHaveProperty('access_token');
    const entry = await fixture.auditEntryAfter(audited);
    expect(entry).toMatchObject({ event: 'token_exchange', result: 'refused', error: expected.error });
    return response;
  }

  const exchange = (form: Form, client = USER_SERVICE) => () => fixture.exchange(form, client);

  describe('client authentication and grant', () => {
    it('refuses a wrong client secret with 401 invalid_client and WWW-Authenticate', async () => {
      const response = await expectRefusal(
        exchange({ subject_token: aliceToken, audience: 'message-service' }, { id: 'user-service', secret: 'wrong' }),
        { status: 401, error: 'invalid_client' },
      );
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=.*error="invalid_client"/);
      expect(fixture.auditEntries().at(-1)).toMatchObject({ client: 'user-service' });
    });

    it('refuses an unknown client with 401 invalid_client, auditing the client id it claimed', async () => {
      await expectRefusal(exchange({ subject_token: aliceToken, audience: 'message-service' }, { id: 'nobody', secret: 'x' }), {
        status: 401,
        error: 'invalid_client',
      });
      expect(fixture.auditEntries().at(-1)).toMatchObject({ client: 'nobody' });
      expect(fixture.auditEntries().at(-1)).not.toHaveProperty('subjectSub');
    });

    it('refuses a request without client authentication with 401 invalid_client', async () => {
      const response = await expectRefusal(
        () => fixture.exchange({ subject_token: aliceToken, audience: 'message-service' }, null),
        { status: 401, error: 'invalid_client', description: 'client authentication is required' },
      );
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=.*error="invalid_client"/);
    });

    it('refuses a client not registered for the grant with unauthorized_client', async () => {
      await expectRefusal(exchange({ subject_token: aliceToken, audience: 'message-service' }, REPORTING), {
        error: 'unauthorized_client',
        description: 'this client is not allowed to use the token-exchange grant',
      });
      expect(fixture.auditEntries().at(-1)).toMatchObject({ client: 'reporting' });
    });

    it('answers unsupported_grant_type to the short name token-exchange', async () => {
      const response = await fixture.token({
        grant_type: 'token-exchange',
        subject_token: aliceToken,
        subject_token_type: TokenTypeUri.accessToken,
      });
      expect({ status: response.status, error: response.body['error'] }).toEqual({ status: 400, error: 'unsupported_grant_type' });
    });
  });

  describe('request parameters → invalid_request', () => {
    it.each([
      ['no subject_token', { subject_token: undefined }, 'missing required parameter subject_token'],
      ['no subject_token_type', { subject_token_type: undefined }, 'missing required parameter subject_token_type'],
      ['an unknown subject_token_type', { subject_token_type: 'urn:example:made-up' }, 'subject_token_type is not a supported token type identifier'],
      ['a refresh_token subject_token_type', { subject_token_type: TokenTypeUri.refreshToken }, /^subject_token_type urn:ietf:params:oauth:token-type:refresh_token is not supported/],
      ['actor_token without actor_token_type', { actor_token: 'a.b.c' }, 'actor_token_type is required when actor_token is present'],
      ['actor_token_type without actor_token', { actor_token_type: TokenTypeUri.accessToken }, 'actor_token_type must not be present without actor_token'],
    ])('refuses %s', async (_label, form, description) => {
      await expectRefusal(exchange({ subject_token: aliceToken, audience: 'message-service', ...form }), {
        error: 'invalid_request',
        description,
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
    ])('refuses requested_token_type %s, naming what this server issues', async (type, description) => {
      await expectRefusal(exchange({ subject_token: aliceToken, audience: 'message-service', requested_token_type: type }), {
        error: 'invalid_request',
        description,
      });
    });

    it.each(['subject_token', 'subject_token_type', 'scope', 'requested_token_type'])('refuses a repeated %s', async (name) => {
      const values: Record<string, [string, string]> = {
        subject_token: [aliceToken, aliceToken],
        subject_token_type: [TokenTypeUri.accessToken, TokenTypeUri.jwt],
        scope: ['message.read', 'message.write'],
        requested_token_type: [TokenTypeUri.accessToken, TokenTypeUri.accessToken],
      };
      await expectRefusal(exchange({ subject_token: aliceToken, audience: 'message-service', [name]: values[name] }), {
        error: 'invalid_request',
        description: `'${name}' parameter must not be provided twice`,
      });
    });

    it('does not fall back to the client when the subject token is missing', async () => {
      const response = await expectRefusal(
        exchange({ subject_token: undefined, subject_token_type: undefined, audience: 'message-service' }),
        { error: 'invalid_request' },
      );
      expect(response.body['error_description']).toMatch(/subject_token/);
    });
  });

  describe('subject token → invalid_request (RFC 8693 §2.2.2)', () => {
    const now = (): number => Math.floor(Date.now() / 1000);

    it.each([
      ['expired', () => fixture.mint({ iat: now() - 600, exp: now() - 1 }), 'subject_token is expired'],
      ['not yet valid', () => fixture.mint({ nbf: now() + 300 }), 'subject_token is not yet valid (nbf)'],
      ['from another issuer', () => fixture.mint({ iss: 'https://evil.example' }), 'subject_token was issued by another issuer'],
      ['not an at+jwt', () => fixture.mint({}, { typ: 'JWT' }), 'subject_token is not an access token (JWT typ must be at+jwt)'],
      ['signed by a key not in the JWKS', () => fixture.mint({}, { kid: 'someone-else' }), 'subject_token is not signed by a key of this server (unknown kid)'],
      [
        'issued to another client\'s resource',
        () => fixture.mint({ aud: 'message-service' }),
        'subject_token was not issued to this client (its audience message-service is not one this client may exchange)',
      ],
    ])('refuses a subject token %s', async (_label, subject, description) => {
      const token = await subject();
      const response = await expectRefusal(exchange({ subject_token: token, audience: 'message-service' }), {
        error: 'invalid_request',
        description,
      });
      expect(JSON.stringify(response.body)).not.toContain(token);
    });

    it('refuses a badly signed subject token', async () => {
      const [header, payload, signature] = aliceToken.split('.') as [string, string, string];
      const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
      await expectRefusal(exchange({ subject_token: `${header}.${payload}.${flipped}`, audience: 'message-service' }), {
        error: 'invalid_request',
        description: 'subject_token signature is invalid',
      });
    });

    it("refuses a token this server issued for message-service (the exchange's own output)", async () => {
      const exchanged = await fixture.exchange({ subject_token: aliceToken, audience: 'message-service' });
      expect(exchanged.status).toBe(200);
      await expectRefusal(exchange({ subject_token: exchanged.body['access_token'] as string, audience: 'message-service' }), {
        error: 'invalid_request',
        description: /^subject_token was not issued to this client/,
      });
    });

    it('refuses an ID token (typ JWT) and a refresh token (not a JWT) from a real login', async () => {
      const tokens = await fixture.login('alice', 'openid user.read message.read message.write');
      expect(tokens.id_token).toEqual(expect.any(String));
      await expectRefusal(
        exchange({ subject_token: tokens.id_token, subject_token_type: TokenTypeUri.jwt, audience: 'message-service' }),
        { error: 'invalid_request', description: 'subject_token is not an access token (JWT typ must be at+jwt)' },
      );
      expect(tokens.refresh_token).toEqual(expect.any(String));
      await expectRefusal(exchange({ subject_token: tokens.refresh_token, audience: 'message-service' }), {
        error: 'invalid_request',
        description: 'subject_token is not a signed JWT issued by this server',
      });
    });

    it('[H13] refuses a DPoP-bound subject token (cnf.jkt) without a proof of its key: never laundered into a bearer token', async () => {
      const bound = await fixture.mint({ cnf: { jkt: thumbprintOf(boundKey) } });
      const response = await expectRefusal(exchange({ subject_token: bound, audience: 'message-service' }), {
        error: 'invalid_dpop_proof',
        description: 'subject_token is DPoP-bound: the request must carry a DPoP proof of its key',
      });
      expect(JSON.stringify(response.body)).not.toContain(bound);
      expect(fixture.auditEntries().at(-1)).toMatchObject({ client: 'user-service', subjectSub: 'alice' });
      expect(fixture.auditEntries().at(-1)).not.toHaveProperty('issuedJti');
    });

    it('[H13] refuses a DPoP-bound subject token with a valid proof of another key', async () => {
      const bound = await fixture.mint({ cnf: { jkt: thumbprintOf(boundKey) } });
      const proof = await signTestDpopProof({ key: testDpopKey(), method: 'POST', url: fixture.tokenEndpoint });
      await expectRefusal(() => fixture.token(exchangeForm(bound), USER_SERVICE, { dpop: proof }), {
        error: 'invalid_dpop_proof',
        description: "the DPoP proof's key is not the one subject_token is bound to (cnf.jkt)",
      });
    });

    it('[H13] exchanges a DPoP-bound subject token with a proof of its key, and the issued token is bound to it', async () => {
      const bound = await fixture.mint({ cnf: { jkt: thumbprintOf(boundKey) } });
      const proof = await signTestDpopProof({ key: boundKey, method: 'POST', url: fixture.tokenEndpoint });
      const response = await fixture.token(exchangeForm(bound), USER_SERVICE, { dpop: proof });
      expect(response.status).toBe(200);
      expect(response.body['token_type']).toBe('DPoP');
      const issued = JSON.parse(Buffer.from(String(response.body['access_token']).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      expect(issued['cnf']).toEqual({ jkt: thumbprintOf(boundKey) });
    });

    it('[H13] refuses a subject token bound by another method (cnf x5t#S256), even with a DPoP proof', async () => {
      const bound = await fixture.mint({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } });
      const proof = await signTestDpopProof({ key: boundKey, method: 'POST', url: fixture.tokenEndpoint });
      await expectRefusal(() => fixture.token(exchangeForm(bound), USER_SERVICE, { dpop: proof }), {
        error: 'invalid_request',
        description: 'subject_token is sender-constrained by a method other than DPoP (cnf): it cannot be exchanged',
      });
    });

    it('[H13] refuses a sender-constrained actor_token (cnf x5t#S256), signed by the server’s own key', async () => {
      await expectRefusal(
        exchange(
          {
            subject_token: await fixture.mint({ aud: 'orchestrator', may_act: { sub: 'batch-job' } }),
            actor_token: await fixture.mint({ aud: 'orchestrator', sub: 'batch-job', cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }),
            actor_token_type: TokenTypeUri.accessToken,
            audience: 'message-service',
          },
          ORCHESTRATOR,
        ),
        {
          error: 'invalid_request',
          description: 'actor_token is sender-constrained by a method other than DPoP (cnf): it cannot be exchanged',
        },
      );
    });

    it('refuses a subject token whose may_act does not name the requesting client', async () => {
      await expectRefusal(exchange({ subject_token: await fixture.mint({ may_act: { sub: 'reporting' } }), audience: 'message-service' }), {
        error: 'invalid_request',
        description: 'subject_token may_act does not allow this client to act for its subject',
      });
    });

    it('refuses an act chain deeper than the policy allows', async () => {
      await expectRefusal(exchange({ subject_token: await fixture.mint({ act: { sub: 'gateway' } }), audience: 'message-service' }), {
        error: 'invalid_request',
        description: "the delegation chain would hold 2 actors; this client's policy allows at most 1",
      });
      await expectRefusal(
        exchange(
          {
            subject_token: await fixture.mint({ aud: 'orchestrator', act: { sub: 'gateway', act: { sub: 'edge' } } }),
            audience: 'message-service',
          },
          ORCHESTRATOR,
        ),
        { error: 'invalid_request', description: "the delegation chain would hold 3 actors; this client's policy allows at most 2" },
      );
    });

    it('refuses an actor_token from a client whose policy does not allow actor tokens', async () => {
      await expectRefusal(
        exchange({
          subject_token: aliceToken,
          actor_token: await fixture.mint({ sub: 'batch-job' }),
          actor_token_type: TokenTypeUri.accessToken,
          audience: 'message-service',
        }),
        { error: 'invalid_request', description: 'this client may not present an actor_token' },
      );
    });

    it('validates an actor_token like a subject token, and checks may_act against the actor', async () => {
      const subject = await fixture.mint({ aud: 'orchestrator', may_act: { sub: 'batch-job' } });
      await expectRefusal(
        exchange(
          {
            subject_token: subject,
            actor_token: await fixture.mint({ aud: 'orchestrator', sub: 'batch-job', exp: Math.floor(Date.now() / 1000) - 1 }),
            actor_token_type: TokenTypeUri.accessToken,
            audience: 'message-service',
          },
          ORCHESTRATOR,
        ),
        { error: 'invalid_request', description: 'actor_token is expired' },
      );
      await expectRefusal(
        exchange(
          {
            subject_token: subject,
            actor_token: await fixture.mint({ aud: 'orchestrator', sub: 'someone-else' }),
            actor_token_type: TokenTypeUri.accessToken,
            audience: 'message-service',
          },
          ORCHESTRATOR,
        ),
        { error: 'invalid_request', description: 'subject_token may_act does not allow this actor to act for its subject' },
      );
    });
  });

  describe('target → invalid_target', () => {
    it.each([
      ['an unknown audience', { audience: 'nobody' }, 'audience is not a registered resource server'],
      ['a target the policy does not allow', { audience: 'billing-service' }, 'this client may not exchange tokens for billing-service'],
      ['two targets', { audience: ['message-service', 'billing-service'] }, 'only one target (audience or resource) per request'],
      ['audience and resource naming different targets', { audience: 'message-service', resource: 'http://localhost:8082' }, 'only one target (audience or resource) per request'],
      ['a resource that is not an absolute URI', { resource: 'message-service' }, 'resource must be an absolute URI'],
      ['a resource with a fragment', { resource: 'http://localhost:8081#messages' }, 'resource must not contain a fragment'],
      ['an unknown resource', { resource: 'http://localhost:9999' }, 'resource is not a registered resource server'],
    ])('refuses %s', async (_label, form, description) => {
      await expectRefusal(exchange({ subject_token: aliceToken, ...form }), { error: 'invalid_target', description });
    });
  });

  describe('scope → invalid_scope', () => {
    it.each([
      ['wider than the subject token', () => fixture.mint({ scope: 'message.read' }), USER_SERVICE, 'message.write', 'scope message.write is wider than the subject token\'s scope'],
      ['not offered by the target', () => fixture.mint(), USER_SERVICE, 'user.read', 'scope user.read is not offered by the target'],
      ['beyond the client policy', () => fixture.mint({ aud: 'narrow' }), NARROW, 'message.write', "scope message.write is beyond this client's exchange policy"],
      [
        'empty once intersected',
        () => fixture.mint({ scope: 'user.read' }),
        USER_SERVICE,
        undefined,
        "no scope is left: the subject token's scope, the target's and this client's policy have none in common",
      ],
    ])('refuses a scope %s', async (_label, subject, client, scope, description) => {
      await expectRefusal(exchange({ subject_token: await subject(), audience: 'message-service', scope }, client), {
        error: 'invalid_scope',
        description,
      });
    });
  });

  describe('oversized input', () => {
    it('refuses an oversized subject token with 400, without echoing it', async () => {
      const huge = `${'a'.repeat(9_000)}.${'b'.repeat(100)}.${'c'.repeat(100)}`;
      const response = await expectRefusal(exchange({ subject_token: huge, audience: 'message-service' }), {
        error: 'invalid_request',
        description: 'subject_token is too large (more than 8192 characters)',
      });
      expect(JSON.stringify(response.body)).not.toContain('aaaaaaaaaa');
    });

    it('refuses an oversized body with 400 or 413 and keeps serving', async () => {
      const response = await fetch(fixture.tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
          subject_token: 'x'.repeat(2_000_000),
          subject_token_type: TokenTypeUri.accessToken,
        }).toString(),
      });
      expect([400, 413]).toContain(response.status);
      const after = await fixture.exchange({ subject_token: aliceToken, audience: 'message-service' });
      expect(after.status).toBe(200);
    });
  });
});
