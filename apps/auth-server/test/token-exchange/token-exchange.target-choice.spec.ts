import { claimsOf, DEFAULTED, ExchangeFixture, FAN_OUT, USER_SERVICE } from './support/exchange-fixture';
import { expectRefusal } from './support/expect-refusal';
import { springTokenExchangeRequest } from './support/spring-token-exchange-request';

// A real auth server process per file, on a shared machine: no verdict may hang on its speed.
jest.setTimeout(60_000);

/**
 * Issue 12 §1: a request naming no `audience` nor `resource` (RFC 8693 §2.1 makes both optional;
 * Spring Security's client sends neither) gets its target from the client's policy: its only
 * target, its `defaultTarget`, or the one target whose scopes hold every requested scope. An
 * ambiguous choice is `invalid_target`, asking to name one. Over real HTTP, test configuration
 * fixtures/token-exchange.yaml (fan-out: message-service, billing-service and orchestrator, no
 * default, the message scopes offered by two of them; defaulted: message-service and
 * billing-service with `defaultTarget: message-service`).
 */
describe('token exchange: the target of a request that names none', () => {
  let fixture: ExchangeFixture;
  /** A subject token for user-service carrying message and billing scopes. */
  let subject: string;
  const nameOne = 'name one with audience or resource (this client may ask for message-service, billing-service, orchestrator)';

  beforeAll(async () => {
    fixture = await ExchangeFixture.start();
    subject = await fixture.mint({ scope: 'message.read message.write billing.read' });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it("gives a client with one target that target (user-service's message-service)", async () => {
    const audited = fixture.auditEntries().length;
    const response = await fixture.exchange({ subject_token: subject });
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)).toMatchObject({ aud: 'message-service', act: { sub: 'user-service' } });
    expect(await fixture.auditEntryAfter(audited)).toMatchObject({ result: 'granted', toAudience: 'message-service' });
  });

  it("gives a client with several targets its policy's defaultTarget", async () => {
    const response = await fixture.exchange({ subject_token: subject }, DEFAULTED);
    expect(response.status).toBe(200);
    expect(response.body['scope']).toBe('message.read message.write');
    expect(claimsOf(response.body['access_token'] as string)).toMatchObject({ aud: 'message-service', client_id: 'defaulted' });
  });

  it('chooses by scope when there is no default: the one target offering every requested scope', async () => {
    const audited = fixture.auditEntries().length;
    const response = await fixture.exchange({ subject_token: subject, scope: 'billing.read' }, FAN_OUT);
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)).toMatchObject({ aud: 'billing-service', scope: 'billing.read', act: { sub: 'fan-out' } });
    expect(await fixture.auditEntryAfter(audited)).toMatchObject({ result: 'granted', toAudience: 'billing-service' });
  });

  it('chooses by the scope Spring sends from its registration', async () => {
    const { body, headers } = springTokenExchangeRequest(
      { clientId: FAN_OUT.id, clientSecret: FAN_OUT.secret, clientAuthenticationMethod: 'client_secret_basic', scopes: ['billing.read'] },
      { subjectToken: subject, subjectIsJwt: true },
    );
    const response = await fixture.post(body, headers);
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)).toMatchObject({ aud: 'billing-service', scope: 'billing.read' });
  });

  it.each([
    [undefined, `no audience or resource given and no scope to choose a target by: ${nameOne}`],
    ['message.read', `no audience or resource given and several of this client's targets offer the requested scope: ${nameOne}`],
    ['message.read message.write', `no audience or resource given and several of this client's targets offer the requested scope: ${nameOne}`],
    ['message.read billing.read', `no audience or resource given and none of this client's targets offers every requested scope: ${nameOne}`],
  ])('refuses the ambiguous case (scope %s) with invalid_target, asking to name one', async (scope, description) => {
    await expectRefusal(fixture, () => fixture.exchange({ subject_token: subject, scope }, FAN_OUT), { error: 'invalid_target', description });
  });

  it('keeps the named target when one is named, even with a default', async () => {
    const response = await fixture.exchange({ subject_token: subject, audience: 'billing-service' }, DEFAULTED);
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)['aud']).toBe('billing-service');
  });

  it('puts a chosen target through every check a named one gets', async () => {
    // The default is message-service: billing.read is not offered there, whatever the other target has.
    await expectRefusal(fixture, () => fixture.exchange({ subject_token: subject, scope: 'billing.read' }, DEFAULTED), {
      error: 'invalid_scope',
      description: 'scope billing.read is not offered by the target',
    });
    // user-service's only target, message-service, does not offer user.read.
    await expectRefusal(fixture, async () => fixture.exchange({ subject_token: await fixture.mint(), scope: 'user.read' }, USER_SERVICE), {
      error: 'invalid_scope',
      description: 'scope user.read is not offered by the target',
    });
    await expectRefusal(
      fixture,
      async () => fixture.exchange({ subject_token: await fixture.mint({ scope: 'message.read' }), scope: 'message.write' }),
      // Never wider than the subject token.
      { error: 'invalid_scope', description: "scope message.write is wider than the subject token's scope" },
    );
    // The subject token must still be one issued for the client's own resource.
    await expectRefusal(fixture, async () => fixture.exchange({ subject_token: await fixture.mint({ aud: 'billing-service' }) }, FAN_OUT), {
      error: 'invalid_request',
      description: 'subject_token was not issued to this client (its audience billing-service is not one this client may exchange)',
    });
  });
});
