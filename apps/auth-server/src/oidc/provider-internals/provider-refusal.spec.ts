import type { Provider } from 'oidc-provider';
import { PLAIN_CLIENT, PlainProvider, postForm, startPlainProvider } from './test-support/plain-provider.fixture';
import { ProviderErrorLike, providerRefusal } from './provider-refusal';

/**
 * Guards the error-text seam: oidc-provider's own answers (and the errors its `grant.error` event
 * carries) must still be recognised. Fails if an upgrade rewords or recodes either refusal.
 */
describe('providerRefusal (oidc-provider error text seam)', () => {
  let plain: PlainProvider;
  const emitted: ProviderErrorLike[] = [];

  beforeAll(async () => {
    plain = await startPlainProvider({
      prepare: (provider: Provider) => provider.on('grant.error', (_ctx, error: ProviderErrorLike) => emitted.push(error)),
    });
  });
  afterAll(() => plain.close());
  beforeEach(() => emitted.splice(0));

  it('recognises a grant type the client is not registered for, in the answer and the event', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: 'refresh_token', refresh_token: 'x' }, PLAIN_CLIENT);
    expect(status).toBe(400);
    expect(providerRefusal(body)).toBe('grant_not_allowed');
    expect(emitted.map(providerRefusal)).toEqual(['grant_not_allowed']);
  });

  it('recognises a request that names no client', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: 'client_credentials' });
    expect(status).toBe(400);
    expect(providerRefusal(body)).toBe('no_client_authentication');
    expect(emitted.map(providerRefusal)).toEqual(['no_client_authentication']);
  });

  it('recognises nothing else', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: 'client_credentials', resource: 'not-a-uri' }, PLAIN_CLIENT);
    expect(status).toBe(400);
    expect(providerRefusal(body)).toBeUndefined();
    expect(providerRefusal({ error: 'invalid_grant', error_description: 'requested grant type is not allowed for this client' })).toBeUndefined();
    expect(providerRefusal(undefined)).toBeUndefined();
  });
});
