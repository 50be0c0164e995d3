import type { JsonWebKeySet, MessageListResponse, TokenSet } from '@baton/dto';
import { BatonSystem } from './support/baton-system';
import { call, claimsOf } from './support/http';

describe('the auth server restarted on the same data folder', () => {
  let system: BatonSystem;

  beforeAll(async () => {
    system = await BatonSystem.start();
  });

  afterAll(() => system?.stop());

  const keyIds = async () =>
    (await call<JsonWebKeySet>(`${system.auth.issuer}/oauth2/jwks`)).body.keys.map((key) => key.kid).sort();

  it('keeps every token issued before working everywhere', async () => {
    // Issued before the restart: a client_credentials token, alice's and bob's tokens (with refresh
    // tokens), and a token alice's was exchanged for.
    const service = await system.auth.clientCredentials();
    const [alice, bob] = await Promise.all([system.login('alice'), system.login('bob')]);
    const exchanged = await system.exchangeAsUserService(alice.access_token);
    const keysBefore = await keyIds();

    await system.auth.restart();
    // message-service starts afresh too, so it knows the auth server only as it is now.
    await system.stopMessageService();
    await system.startMessageService();

    expect(await keyIds()).toEqual(keysBefore);
    const messagesAt = (token: TokenSet) =>
      call<MessageListResponse>(`${system.userServiceUrl}/api/users/messages`, { token: token.access_token });

    // user-service: bob's token has never been exchanged, so this exchange is verified by the restarted auth server.
    const forBob = await messagesAt(bob);
    expect(forBob.status).toBe(200);
    expect(forBob.body).toMatchObject({ subject: 'bob', actor: 'user-service' });
    expect((await messagesAt(alice)).body).toMatchObject({ subject: 'alice', actor: 'user-service' });
    expect((await messagesAt(service)).body).toMatchObject({ subject: 'user-service' });

    // message-service: the exchanged token from before.
    const direct = await system.callMessageService<MessageListResponse>(exchanged);
    expect(direct.status).toBe(200);
    expect(direct.body).toMatchObject({ subject: 'alice', actor: 'user-service' });

    // The auth server itself: a new exchange of alice's old token, and her refresh token (kept in its database).
    expect(claimsOf((await system.exchangeAsUserService(alice.access_token)).access_token)).toMatchObject({ sub: 'alice' });
    expect(alice.refresh_token).toBeDefined();
    const refreshed = await system.auth.refresh(alice.refresh_token as string);
    expect(claimsOf(refreshed.access_token)).toMatchObject({ sub: 'alice', aud: 'user-service' });
    expect((await messagesAt(refreshed)).status).toBe(200);
  });
});
