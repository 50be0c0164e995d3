import type { MessageListResponse, TokenSet } from '@baton/dto';
import { demoConfigWithTokenLifetimes } from './support/auth-server-config-file';
import { BatonSystem, TOKEN_EXCHANGE_TIMEOUT_MS } from './support/baton-system';
import { BlackHole } from './support/black-hole';
import { Answer, call } from './support/http';

/** Tokens for message-service live 10 s (the shortest the auth server allows) so a cached one expires during the test. */
const EXCHANGED_TOKEN_LIFETIME_S = 10;
/** Room for a loaded machine on top of a timeout: slower than this is a hang, not a timeout. */
const SLACK_MS = 2_000;

describe('the auth server stopped, then back', () => {
  let system: BatonSystem;
  let alice: TokenSet;
  let bob: TokenSet;

  beforeAll(async () => {
    system = await BatonSystem.start({
      authServerEnv: { AUTH_SERVER_CONFIG_FILE: demoConfigWithTokenLifetimes({ 'message-service': EXCHANGED_TOKEN_LIFETIME_S }) },
    });
    [alice, bob] = await Promise.all([system.login('alice'), system.login('bob')]);
  });

  afterAll(() => system?.stop());

  const messagesOf = (token: TokenSet) =>
    call<MessageListResponse>(`${system.userServiceUrl}/api/users/messages`, { token: token.access_token });

  function expectUnavailable(answer: Answer, withinMs: number): void {
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'auth_server_unavailable', message: 'The auth server is unavailable; try again later' });
    expect(answer.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(answer.elapsedMs).toBeLessThan(withinMs);
  }

  it('serves a cached exchange until it expires, refuses uncached users with 503 + Retry-After in time, and recovers by itself', async () => {
    // alice's exchange is made and cached while the auth server is up; bob has a token but no exchange yet.
    const warm = await messagesOf(alice);
    expect(warm.status).toBe(200);
    const exchangedAt = Date.now();

    await system.auth.stop();

    // alice: served from user-service's cache, no auth server needed.
    const cached = await messagesOf(alice);
    expect(cached.status).toBe(200);
    expect(cached.body).toMatchObject({ subject: 'alice', actor: 'user-service' });
    expect(Date.now() - exchangedAt).toBeLessThan(EXCHANGED_TOKEN_LIFETIME_S * 1000 * 0.75);

    // bob: needs an exchange, the auth server refuses connections: 503 well within the timeout.
    expectUnavailable(await messagesOf(bob), TOKEN_EXCHANGE_TIMEOUT_MS + SLACK_MS);

    // An auth server that accepts connections and never answers: 503 once the timeout is over, not a hang.
    const hung = await BlackHole.listen(system.auth.port);
    try {
      const answer = await messagesOf(bob);
      expectUnavailable(answer, TOKEN_EXCHANGE_TIMEOUT_MS + SLACK_MS);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(TOKEN_EXCHANGE_TIMEOUT_MS - 100);
      expect(hung.openConnections).toBeGreaterThan(0);
    } finally {
      await hung.close();
    }

    // alice again, once her cached exchange has expired (lifetime minus skew): now she needs the auth server too.
    let expired: Answer | undefined;
    const deadline = exchangedAt + EXCHANGED_TOKEN_LIFETIME_S * 1000 + 5_000;
    while (Date.now() < deadline) {
      const answer = await messagesOf(alice);
      if (answer.status !== 200) {
        expired = answer;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(expired).toBeDefined();
    expectUnavailable(expired as Answer, TOKEN_EXCHANGE_TIMEOUT_MS + SLACK_MS);
    expect(Date.now() - exchangedAt).toBeGreaterThanOrEqual(EXCHANGED_TOKEN_LIFETIME_S * 1000 * 0.5);

    // The auth server comes back on its data folder; user-service was never restarted.
    const userServicePid = system.userService.child.pid;
    await system.auth.restart();
    const [aliceAfter, bobAfter] = await Promise.all([messagesOf(alice), messagesOf(bob)]);
    expect(aliceAfter.status).toBe(200);
    expect(aliceAfter.body).toMatchObject({ subject: 'alice', actor: 'user-service' });
    expect(bobAfter.status).toBe(200);
    expect(bobAfter.body).toMatchObject({ subject: 'bob', actor: 'user-service' });
    expect(system.userService.child.pid).toBe(userServicePid);
    expect(system.userService.child.exitCode).toBeNull();
  });
});
