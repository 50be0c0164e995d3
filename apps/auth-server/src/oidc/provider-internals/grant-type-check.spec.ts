import type { Provider } from 'oidc-provider';
import { PLAIN_CLIENT, PlainProvider, postForm, startPlainProvider } from './test-support/plain-provider.fixture';
import { TokenRateLimitedError } from '../../abuse/token-rate-limited.error';
import { onGrantTypeCheck } from './grant-type-check';

/** A grant registered for this spec, whose handler only records that it ran. */
const RECORDING_GRANT = 'urn:baton:test:recording';

/**
 * Guards the grant-type-check seam: the listener must run once per token request, after the
 * client is authenticated and before the grant handler, and an error it throws must refuse the
 * request. Fails if an upgrade stops calling `client.grantTypeAllowed` there or moves the call.
 */
describe('onGrantTypeCheck (oidc-provider Client.prototype.grantTypeAllowed seam)', () => {
  let plain: PlainProvider;
  const events: string[] = [];
  let refuseNext = false;

  beforeAll(async () => {
    plain = await startPlainProvider({
      extraGrantTypes: [RECORDING_GRANT],
      prepare: (provider: Provider) => {
        provider.registerGrantType(RECORDING_GRANT, (ctx) => {
          events.push('grant handler');
          ctx.body = { answered: true };
          return Promise.resolve();
        });
        onGrantTypeCheck(provider, (client) => {
          events.push(`check ${client.clientId}`);
          if (refuseNext) {
            refuseNext = false;
            throw new TokenRateLimitedError(7);
          }
        });
        provider.on('grant.success', () => events.push('grant.success'));
      },
    });
  });
  afterAll(() => plain.close());
  beforeEach(() => events.splice(0));

  it('runs once the client is authenticated, before the grant', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: RECORDING_GRANT }, PLAIN_CLIENT);
    expect(status).toBe(200);
    expect(body).toEqual({ answered: true });
    expect(events).toEqual([`check ${PLAIN_CLIENT.id}`, 'grant handler', 'grant.success']);
  });

  it('runs for the built-in grants too', async () => {
    const { status } = await postForm(plain.baseUrl, '/token', { grant_type: 'client_credentials', scope: 'read' }, PLAIN_CLIENT);
    expect(status).toBe(200);
    expect(events).toEqual([`check ${PLAIN_CLIENT.id}`, 'grant.success']);
  });

  it('does not run for a client that failed authentication', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: 'client_credentials' }, { id: PLAIN_CLIENT.id, secret: 'wrong' });
    expect(status).toBe(401);
    expect(body['error']).toBe('invalid_client');
    expect(events).toEqual([]);
  });

  it('refuses the request with the oidc-provider-shaped error the listener throws, before the grant runs', async () => {
    refuseNext = true;
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: RECORDING_GRANT }, PLAIN_CLIENT);
    expect(status).toBe(429);
    expect(body).toEqual({ error: 'temporarily_unavailable', error_description: 'too many token requests from this client; retry after 7 s' });
    expect(events).toEqual([`check ${PLAIN_CLIENT.id}`]);
  });
});
