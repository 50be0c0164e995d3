import { createLocalJWKSet, jwtVerify } from 'jose';
import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from '@baton/dto';
import { claimsOf, ExchangeFixture, headerOf, ORCHESTRATOR, USER_SERVICE } from './support/exchange-fixture';

// A real auth server process per file, on a shared machine: no verdict may hang on its speed.
jest.setTimeout(60_000);

/**
 * The token-exchange grant over real HTTP against the built auth server: what a granted exchange
 * issues. The refusals are in token-exchange.refusals.spec.ts.
 */
describe('token exchange (RFC 8693): granted', () => {
  let fixture: ExchangeFixture;

  beforeAll(async () => {
    fixture = await ExchangeFixture.start();
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function verifyWithJwks(token: string, audience: string): Promise<Record<string, unknown>> {
    const jwks = (await (await fetch(`${fixture.issuer}/oauth2/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: fixture.issuer,
      audience,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    return payload as Record<string, unknown>;
  }

  it('is listed in discovery', async () => {
    const discovery = (await (await fetch(`${fixture.issuer}/.well-known/openid-configuration`)).json()) as {
      grant_types_supported: string[];
    };
    expect(discovery.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT_TYPE);
  });

  it("exchanges alice's user-service token for a message-service token: same sub, act = user-service, scope narrowed", async () => {
    const subject = await fixture.login('alice');
    const subjectClaims = claimsOf(subject.access_token);
    const audited = fixture.auditEntries().length;

    const response = await fixture.exchange({ subject_token: subject.access_token, audience: 'message-service' });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(response.body).sort()).toEqual(['access_token', 'expires_in', 'issued_token_type', 'scope', 'token_type']);
    expect(response.body).toMatchObject({
      issued_token_type: TokenTypeUri.accessToken,
      token_type: 'Bearer',
      scope: 'message.read message.write',
    });
    const issued = response.body['access_token'] as string;
    expect(headerOf(issued).typ).toBe('at+jwt');
    const claims = await verifyWithJwks(issued, 'message-service');
    expect(claims).toMatchObject({
      iss: fixture.issuer,
      sub: 'alice',
      aud: 'message-service',
      client_id: 'user-service',
      scope: 'message.read message.write',
      act: { sub: 'user-service' },
    });
    expect(claims['jti']).toEqual(expect.any(String));
    expect(claims['exp']).toBeLessThanOrEqual(subjectClaims['exp'] as number);
    expect(response.body['expires_in']).toBe((claims['exp'] as number) - (claims['iat'] as number));

    expect(await fixture.auditEntryAfter(audited)).toMatchObject({
      event: 'token_exchange',
      result: 'granted',
      client: 'user-service',
      subjectSub: 'alice',
      subjectJti: subjectClaims['jti'],
      fromAudience: 'user-service',
      toAudience: 'message-service',
      scopeGranted: 'message.read message.write',
      actChain: ['user-service'],
      issuedJti: claims['jti'],
    });
    expect(fixture.server.process.logs).not.toContain(subject.access_token);
    expect(fixture.server.process.logs).not.toContain(issued);
  });

  it('grants exactly the scope asked for, and names the target by resource URI as well', async () => {
    const subject = await fixture.mint();
    const audited = fixture.auditEntries().length;
    const response = await fixture.exchange({
      subject_token: subject,
      resource: 'http://localhost:8081',
      scope: 'message.read',
    });
    expect(response.status).toBe(200);
    expect(response.body['scope']).toBe('message.read');
    expect(claimsOf(response.body['access_token'] as string)).toMatchObject({ aud: 'message-service', scope: 'message.read' });
    expect(await fixture.auditEntryAfter(audited)).toMatchObject({ scopeRequested: 'message.read', scopeGranted: 'message.read' });
  });

  it('accepts audience and resource naming the same target together', async () => {
    const response = await fixture.exchange({
      subject_token: await fixture.mint(),
      audience: 'message-service',
      resource: 'http://localhost:8081/',
    });
    expect(response.status).toBe(200);
  });

  it('issues a jwt token type when asked, and accepts the jwt subject token type', async () => {
    const response = await fixture.exchange({
      subject_token: await fixture.mint(),
      subject_token_type: TokenTypeUri.jwt,
      requested_token_type: TokenTypeUri.jwt,
      audience: 'message-service',
    });
    expect(response.status).toBe(200);
    expect(response.body['issued_token_type']).toBe(TokenTypeUri.jwt);
  });

  it("never lets the issued token outlive the subject token", async () => {
    const exp = Math.floor(Date.now() / 1000) + 20;
    const response = await fixture.exchange({ subject_token: await fixture.mint({ exp }), audience: 'message-service' });
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)['exp']).toBe(exp);
    expect(response.body['expires_in']).toBeLessThanOrEqual(20);
  });

  it('keeps a client_credentials subject (sub = the client itself)', async () => {
    const subject = await fixture.clientCredentials(USER_SERVICE);
    const response = await fixture.exchange({ subject_token: subject, audience: 'message-service' });
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)).toMatchObject({
      sub: 'user-service',
      act: { sub: 'user-service' },
    });
  });

  it('honours a may_act claim that names the requesting client', async () => {
    const response = await fixture.exchange({
      subject_token: await fixture.mint({ may_act: { sub: 'user-service' } }),
      audience: 'message-service',
    });
    expect(response.status).toBe(200);
  });

  it('nests the earlier act chain when the policy allows the depth', async () => {
    const response = await fixture.exchange(
      { subject_token: await fixture.mint({ aud: 'orchestrator', act: { sub: 'gateway' } }), audience: 'message-service' },
      ORCHESTRATOR,
    );
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)['act']).toEqual({ sub: 'orchestrator', act: { sub: 'gateway' } });
  });

  it('makes a valid actor_token the act, when the policy allows actor tokens', async () => {
    const actor = await fixture.mint({ aud: 'orchestrator', sub: 'batch-job', client_id: 'orchestrator', jti: 'actor-jti' });
    const audited = fixture.auditEntries().length;
    const response = await fixture.exchange(
      {
        subject_token: await fixture.mint({ aud: 'orchestrator', may_act: { sub: 'batch-job' } }),
        actor_token: actor,
        actor_token_type: TokenTypeUri.accessToken,
        audience: 'message-service',
      },
      ORCHESTRATOR,
    );
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)).toMatchObject({
      sub: 'alice',
      client_id: 'orchestrator',
      act: { sub: 'batch-job' },
    });
    expect(await fixture.auditEntryAfter(audited)).toMatchObject({
      result: 'granted',
      actorSub: 'batch-job',
      actorJti: 'actor-jti',
      actChain: ['batch-job'],
    });
  });
});
