import type { Provider } from 'oidc-provider';
import { setTimeout as sleep } from 'node:timers/promises';
import { PLAIN_CLIENT, PlainProvider, postForm, startPlainProvider } from './test-support/plain-provider.fixture';
import { TokenRateLimitedError } from '../../abuse/token-rate-limited.error';
import { beforeEveryGrant } from './before-grant';
import { onGrantTypeCheck } from './grant-type-check';

/** Registered after beforeEveryGrant: it must be wrapped all the same. */
const LATE_GRANT = 'urn:baton:test:late';

/**
 * Guards the before-grant seam: `before` must run (and be waited for) after the client is
 * authenticated and right before the grant handler of every grant type, and what it throws must
 * refuse the request without running the grant. Fails if an upgrade stops taking the handler from
 * the private grantTypeHandlers map.
 */
describe('beforeEveryGrant (oidc-provider grantTypeHandlers seam)', () => {
  let plain: PlainProvider;
  const events: string[] = [];
  let refuseNext = false;

  beforeAll(async () => {
    plain = await startPlainProvider({
      extraGrantTypes: [LATE_GRANT],
      prepare: (provider: Provider) => {
        onGrantTypeCheck(provider, (client) => events.push(`check ${client.clientId}`));
        beforeEveryGrant(provider, async (ctx) => {
          events.push(`before ${ctx.oidc.params?.['grant_type'] as string}`);
          // A real wait (a database round trip): the grant must not start before it ends.
          await sleep(20);
          events.push('before done');
          if (refuseNext) {
            refuseNext = false;
            throw new TokenRateLimitedError(3);
          }
        });
        provider.registerGrantType(LATE_GRANT, (ctx) => {
          events.push('grant handler');
          ctx.body = { answered: true };
          return Promise.resolve();
        });
        provider.on('grant.success', () => events.push('grant.success'));
      },
    });
  });
  afterAll(() => plain.close());
  beforeEach(() => events.splice(0));

  it('waits for `before` after the client check and before a built-in grant', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: 'client_credentials', scope: 'read' }, PLAIN_CLIENT);
    expect(status).toBe(200);
    expect(typeof body['access_token']).toBe('string');
    expect(events).toEqual([`check ${PLAIN_CLIENT.id}`, 'before client_credentials', 'before done', 'grant.success']);
  });

  it('wraps a grant registered after it', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: LATE_GRANT }, PLAIN_CLIENT);
    expect(status).toBe(200);
    expect(body).toEqual({ answered: true });
    expect(events).toEqual([`check ${PLAIN_CLIENT.id}`, `before ${LATE_GRANT}`, 'before done', 'grant handler', 'grant.success']);
  });

  it('does not run for a client that failed authentication', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: 'client_credentials' }, { id: PLAIN_CLIENT.id, secret: 'wrong' });
    expect(status).toBe(401);
    expect(body['error']).toBe('invalid_client');
    expect(events).toEqual([]);
  });

  it('refuses the request with the oidc-provider-shaped error `before` throws; the grant does not run', async () => {
    refuseNext = true;
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: LATE_GRANT }, PLAIN_CLIENT);
    expect(status).toBe(429);
    expect(body).toEqual({ error: 'temporarily_unavailable', error_description: 'too many token requests from this client; retry after 3 s' });
    expect(events).toEqual([`check ${PLAIN_CLIENT.id}`, `before ${LATE_GRANT}`, 'before done']);
  });

  it('refuses to start on a provider without the map (an upgrade that moved it)', () => {
    expect(() => beforeEveryGrant({} as Provider, () => Promise.resolve())).toThrow('oidc-provider changed');
  });
});
