import type { MessageListResponse, MessageResponse, TokenSet } from '@baton/dto';
import { BatonSystem, DOWNSTREAM_TIMEOUT_MS } from './support/baton-system';
import { BlackHole } from './support/black-hole';
import { Answer, call } from './support/http';

/** Room for a loaded machine on top of a timeout: slower than this is a hang, not a timeout. */
const SLACK_MS = 2_000;

describe('message-service stopped', () => {
  let system: BatonSystem;
  let alice: TokenSet;

  beforeAll(async () => {
    system = await BatonSystem.start();
    alice = await system.login('alice');
  });

  afterAll(() => system?.stop());

  const messages = () => call<MessageListResponse>(`${system.userServiceUrl}/api/users/messages`, { token: alice.access_token });
  const send = (text: string) =>
    call<MessageResponse>(`${system.userServiceUrl}/api/users/messages`, { token: alice.access_token, json: { to: 'bob', text } });

  function expectUnavailable(answer: Answer): void {
    // The issue allows 502 or 503; Baton promises 503 with Retry-After for a downstream that is down.
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'downstream_unavailable', message: 'message-service is unavailable; try again later' });
    expect(answer.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(answer.elapsedMs).toBeLessThan(DOWNSTREAM_TIMEOUT_MS + SLACK_MS);
  }

  it('answers 503 + Retry-After within its timeout, never hangs, and works again when message-service is back', async () => {
    const sent = await send('before the outage');
    expect(sent.status).toBe(201);

    await system.stopMessageService();
    expectUnavailable(await messages());
    expectUnavailable(await send('during the outage'));

    // A message-service that accepts connections and never answers: given up after the timeout.
    const hung = await BlackHole.listen(system.messagePort);
    try {
      const answer = await messages();
      expectUnavailable(answer);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(DOWNSTREAM_TIMEOUT_MS - 100);
      expect(hung.openConnections).toBeGreaterThan(0);
    } finally {
      await hung.close();
    }

    // Back on the same database; user-service picks it up without a restart.
    await system.startMessageService();
    const after = await system.callMessageService<MessageListResponse>(await system.exchangeAsUserService((await system.login('bob')).access_token));
    expect(after.status).toBe(200);
    expect(after.body.messages.map((message) => message.text)).toContain('before the outage');
    expect(after.body.messages.map((message) => message.text)).not.toContain('during the outage');
    expect((await messages()).status).toBe(200);
  });
});
