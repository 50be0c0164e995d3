import type { MessageListResponse, TokenSet } from '@baton/dto';
import { BatonSystem } from './support/baton-system';
import { call, claimsOf } from './support/http';

/**
 * Issue 12 §1 across the real processes: the test plays the seed's Spring Boot user-service (a
 * resource server that received alice's token) using Spring Security 6.3's token-exchange client
 * with the seed's registration unchanged (client-id message-service, client-secret token, scope
 * message.read, no audience), then calls the real message-service with what it got.
 */
describe('a Spring-shaped token exchange, used to call message-service', () => {
  let system: BatonSystem;

  beforeAll(async () => {
    // Spring Security 6.3's token-exchange client sends no DPoP proof, so its exchanged tokens are
    // bearer tokens: message-service takes them only when it does not require bound tokens for
    // exchanged ones (its default, issue 16, refuses them: dpop-replay.spec.ts).
    system = await BatonSystem.start({ messageServiceEnv: { MESSAGE_SERVICE_REQUIRE_DPOP: 'never' } });
  });

  afterAll(() => system?.stop());

  it("exchanges alice's user-service token without audience (message-service/token) and reads her inbox with it", async () => {
    const alice = await system.login('alice');
    expect(claimsOf(alice.access_token)['aud']).toBe('user-service');
    // The token alice gave user-service is no good at message-service by itself.
    const direct = await call(`${system.messageServiceUrl}/api/messages`, { token: alice.access_token });
    expect(direct.status).toBe(401);

    // What Spring's TokenExchangeGrantRequestEntityConverter sends for a resource server's Jwt
    // principal: these parameters in this order, form-encoded (for these values the same bytes as
    // java.net.URLEncoder), client_secret_basic of the URL-encoded id and secret, and these Accept /
    // Content-Type headers. apps/auth-server/test/token-exchange/token-exchange.spring.spec.ts pins them.
    const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
    const body = [
      ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      ['requested_token_type', 'urn:ietf:params:oauth:token-type:access_token'],
      ['subject_token', alice.access_token],
      ['subject_token_type', 'urn:ietf:params:oauth:token-type:jwt'],
      ['scope', 'message.read'],
    ]
      .map(([name, value]) => `${encode(name ?? '')}=${encode(value ?? '')}`)
      .join('&');
    const response = await fetch(`${system.auth.issuer}/oauth2/token`, {
      method: 'POST',
      headers: {
        Accept: 'application/json;charset=UTF-8',
        'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
        Authorization: `Basic ${Buffer.from(`${encode('message-service')}:${encode('token')}`, 'latin1').toString('base64')}`,
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const exchanged = (await response.json()) as TokenSet & { issued_token_type: string };
    expect(exchanged).toMatchObject({
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      scope: 'message.read',
    });
    expect(claimsOf(exchanged.access_token)).toMatchObject({
      sub: 'alice',
      aud: 'message-service',
      client_id: 'message-service',
      act: { sub: 'message-service' },
    });

    const inbox = await call<MessageListResponse>(`${system.messageServiceUrl}/api/messages`, { token: exchanged.access_token });
    expect(inbox.status).toBe(200);
    expect(inbox.body).toMatchObject({ subject: 'alice', actor: 'message-service' });
    expect(inbox.body.messages.length).toBeGreaterThan(0);
    expect(inbox.body.messages.every((message) => message.to === 'alice')).toBe(true);

    // message.read only: the seed's registration asks no more, so writing is refused.
    const write = await call(`${system.messageServiceUrl}/api/messages`, { token: exchanged.access_token, json: { to: 'bob', text: 'hi' } });
    expect(write.status).toBe(403);
    expect(write.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });
});
