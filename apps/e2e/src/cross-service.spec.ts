import type { MessageListResponse, MessageResponse, TokenSet } from '@baton/dto';
import { BatonSystem } from './support/baton-system';
import { call, claimsOf } from './support/http';

/**
 * The `resource_metadata` parameter of a resource server's challenges (RFC 9728 §5.1): its
 * default resource identifier is http://localhost:<its port>.
 */
const resourceMetadata = (serviceUrl: string): string =>
  `, resource_metadata="http://localhost:${new URL(serviceUrl).port}/.well-known/oauth-protected-resource"`;

/** The three services as real processes, used the way a client and a user would use them. */
describe('across the three services', () => {
  let system: BatonSystem;
  let alice: TokenSet;
  let bob: TokenSet;

  beforeAll(async () => {
    system = await BatonSystem.start();
    [alice, bob] = await Promise.all([system.login('alice'), system.login('bob')]);
  });

  afterAll(() => system?.stop());

  const messagesOf = (token: string) => call<MessageListResponse>(`${system.userServiceUrl}/api/users/messages`, { token });

  it("runs the seed's walkthrough: client_credentials for user-service, then GET /api/users/messages", async () => {
    // Exactly the README's curl: client id and secret in the form body, no resource, no scope.
    const token = await call<TokenSet>(`${system.auth.issuer}/oauth2/token`, {
      form: { grant_type: 'client_credentials', client_id: 'user-service', client_secret: 'secret' },
    });
    expect(token.status).toBe(200);
    expect(claimsOf(token.body.access_token)).toMatchObject({ aud: 'user-service', sub: 'user-service', client_id: 'user-service' });

    const messages = await messagesOf(token.body.access_token);
    expect(messages.status).toBe(200);
    expect(messages.body).toEqual({ subject: 'user-service', actor: 'user-service', messages: [], nextCursor: null });
  });

  it('shows alice and bob only their own messages', async () => {
    const [forAlice, forBob] = await Promise.all([messagesOf(alice.access_token), messagesOf(bob.access_token)]);
    expect(forAlice.status).toBe(200);
    expect(forBob.status).toBe(200);
    expect(forAlice.body).toMatchObject({ subject: 'alice', actor: 'user-service' });
    expect(forBob.body).toMatchObject({ subject: 'bob', actor: 'user-service' });
    expect(forAlice.body.messages.length).toBeGreaterThan(0);
    expect(forBob.body.messages.length).toBeGreaterThan(0);
    expect(forAlice.body.messages.every((message) => message.to === 'alice')).toBe(true);
    expect(forBob.body.messages.every((message) => message.to === 'bob')).toBe(true);
    const aliceIds = new Set(forAlice.body.messages.map((message) => message.id));
    expect(forBob.body.messages.filter((message) => aliceIds.has(message.id))).toEqual([]);
  });

  it('delivers a message alice posts through user-service to bob, from alice', async () => {
    const text = `e2e ${Date.now()}: see you at the token exchange`;
    const sent = await call<MessageResponse>(`${system.userServiceUrl}/api/users/messages`, {
      token: alice.access_token,
      json: { to: 'bob', text },
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ from: 'alice', to: 'bob', text });

    const forBob = await messagesOf(bob.access_token);
    expect(forBob.body.messages.find((message) => message.text === text)).toEqual({
      id: sent.body.id,
      from: 'alice',
      to: 'bob',
      text,
      createdAt: sent.body.createdAt,
    });
    const forAlice = await messagesOf(alice.access_token);
    expect(forAlice.body.messages.some((message) => message.text === text)).toBe(false);
  });

  it("refuses alice's own token at message-service: 401 invalid_token (wrong audience)", async () => {
    const answer = await call(`${system.messageServiceUrl}/api/messages`, { token: alice.access_token });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(
      `Bearer realm="message-service", error="invalid_token", error_description="The access token is not meant for this service"${resourceMetadata(system.messageServiceUrl)}`,
    );
    expect(answer.body).toMatchObject({ error: 'invalid_token' });
  });

  it('refuses an exchanged token replayed at user-service: 401 invalid_token', async () => {
    const exchanged = await system.exchangeAsUserService(alice.access_token);
    expect(claimsOf(exchanged.access_token)).toMatchObject({ sub: 'alice', aud: 'message-service', act: { sub: 'user-service' } });
    // It is good where it was meant to go...
    const there = await system.callMessageService<MessageListResponse>(exchanged);
    expect(there.status).toBe(200);
    expect(there.body).toMatchObject({ subject: 'alice', actor: 'user-service' });
    // ...and nowhere else.
    const replayed = await messagesOf(exchanged.access_token);
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toBe(
      `Bearer realm="user-service", error="invalid_token", error_description="The access token is not meant for this service"${resourceMetadata(system.userServiceUrl)}`,
    );
    expect(replayed.body).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 403 insufficient_scope to a user who consented only to user.read, without attempting an exchange', async () => {
    const readOnly = await system.login('alice', { consent: ['user.read'] });
    expect(readOnly.scope?.split(' ')).not.toContain('message.read');
    expect(claimsOf(readOnly.access_token)['scope']).toBe('user.read');

    const me = await call(`${system.userServiceUrl}/api/users/me`, { token: readOnly.access_token });
    expect(me.status).toBe(200);

    const exchangesBefore = system.auditedExchanges();
    expect(exchangesBefore).toBeGreaterThan(0); // the audit lines are there to count
    const refused = await messagesOf(readOnly.access_token);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer realm="user-service", error="insufficient_scope", scope="message.read"${resourceMetadata(system.userServiceUrl)}`,
    );
    expect(refused.body).toMatchObject({ error: 'insufficient_scope' });
    // Give a stray exchange time to show up in the auth server's log before concluding there was none.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(system.auditedExchanges()).toBe(exchangesBefore);

    // The counter does see exchanges: a new token with message.read costs exactly one.
    const fullScope = await system.login('alice');
    expect((await messagesOf(fullScope.access_token)).status).toBe(200);
    expect(system.auditedExchanges()).toBe(exchangesBefore + 1);
  });
});
