import { TokenTypeUri } from '@baton/dto';
import { claimsOf, ExchangeFixture, IMPERSONATOR, USER_SERVICE } from './support/exchange-fixture';
import { expectRefusal } from './support/expect-refusal';

// A real auth server process per file, on a shared machine: no verdict may hang on its speed.
jest.setTimeout(60_000);

/**
 * Issue 12 §3: delegation or impersonation, per client (`tokenExchange.mode`, RFC 8693 §1.1).
 * Over real HTTP, test configuration fixtures/token-exchange.yaml: `impersonator` has
 * `mode: impersonation`, every other client the default, delegation.
 */
describe('token exchange: delegation or impersonation, by policy', () => {
  let fixture: ExchangeFixture;

  beforeAll(async () => {
    fixture = await ExchangeFixture.start();
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it('delegates by default: the issued token names the client in act, audited as delegation', async () => {
    const audited = fixture.auditEntries().length;
    const response = await fixture.exchange({ subject_token: await fixture.mint() }, USER_SERVICE);
    expect(response.status).toBe(200);
    expect(claimsOf(response.body['access_token'] as string)['act']).toEqual({ sub: 'user-service' });
    expect(await fixture.auditEntryAfter(audited)).toMatchObject({ result: 'granted', mode: 'delegation', actChain: ['user-service'] });
  });

  it('impersonates when the policy says so: same sub, no act, audited as impersonation', async () => {
    const login = await fixture.login('alice');
    const audited = fixture.auditEntries().length;
    const response = await fixture.exchange({ subject_token: login.access_token, audience: 'message-service' }, IMPERSONATOR);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const claims = claimsOf(response.body['access_token'] as string);
    expect(claims).toMatchObject({ sub: 'alice', aud: 'message-service', client_id: 'impersonator', scope: 'message.read message.write' });
    expect(claims).not.toHaveProperty('act');
    const entry = await fixture.auditEntryAfter(audited);
    expect(entry).toMatchObject({ result: 'granted', client: 'impersonator', subjectSub: 'alice', toAudience: 'message-service', mode: 'impersonation' });
    expect(entry).not.toHaveProperty('actChain');
  });

  it('still enforces may_act for an impersonating client', async () => {
    await expectRefusal(fixture, async () => fixture.exchange({ subject_token: await fixture.mint({ may_act: { sub: 'user-service' } }) }, IMPERSONATOR), {
      error: 'invalid_request',
      description: 'subject_token may_act does not allow this client to act for its subject',
    });
  });

  it('refuses an actor_token from an impersonating client', async () => {
    await expectRefusal(
      fixture,
      async () =>
        fixture.exchange(
          {
            subject_token: await fixture.mint(),
            actor_token: await fixture.mint({ sub: 'batch-job' }),
            actor_token_type: TokenTypeUri.accessToken,
          },
          IMPERSONATOR,
        ),
      {
        error: 'invalid_request',
        description:
          "this client's exchange policy is impersonation, which cannot be combined with an actor_token (the issued token records no actor)",
      },
    );
    expect(fixture.auditEntries().at(-1)).toMatchObject({ client: 'impersonator', mode: 'impersonation' });
  });

  it('refuses to impersonate with a subject token that records an actor: its act chain would be erased', async () => {
    await expectRefusal(fixture, async () => fixture.exchange({ subject_token: await fixture.mint({ act: { sub: 'gateway' } }) }, IMPERSONATOR), {
      error: 'invalid_request',
      description: "subject_token records an actor (act); this client's exchange policy is impersonation, which would erase it",
    });
  });
});
