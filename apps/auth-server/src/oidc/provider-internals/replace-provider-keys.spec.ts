import { PlainProvider, clientCredentialsToken, kidOf, signingJwk, startPlainProvider } from './test-support/plain-provider.fixture';
import { replaceProviderKeys } from './replace-provider-keys';

/**
 * Guards the keystore seam: fails if an oidc-provider upgrade moves, renames or changes what
 * `lib/helpers/initialize_keystore.js` does to a running provider.
 */
describe('replaceProviderKeys (oidc-provider keystore seam)', () => {
  const first = signingJwk('first-key');
  const second = signingJwk('second-key');
  let plain: PlainProvider;

  beforeAll(async () => {
    plain = await startPlainProvider({ keys: [first] });
  });
  afterAll(() => plain.close());

  async function publishedKids(): Promise<unknown[]> {
    const response = await fetch(`${plain.baseUrl}/jwks`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { keys: { kid?: unknown; d?: unknown }[] };
    // Never a private part in the published set, whatever the initialiser was given.
    expect(body.keys.every((key) => key.d === undefined)).toBe(true);
    return body.keys.map((key) => key.kid);
  }

  it('changes the keys a running provider publishes and signs with, first key signing', async () => {
    expect(await publishedKids()).toEqual(['first-key']);
    expect(kidOf(await clientCredentialsToken(plain.baseUrl))).toBe('first-key');

    replaceProviderKeys(plain.provider, { keys: [second, first] });

    expect(await publishedKids()).toEqual(['second-key', 'first-key']);
    expect(kidOf(await clientCredentialsToken(plain.baseUrl))).toBe('second-key');

    replaceProviderKeys(plain.provider, { keys: [second] });
    expect(await publishedKids()).toEqual(['second-key']);
  });

  it('refuses a key it cannot sign with and keeps the keys it had', async () => {
    expect(() => replaceProviderKeys(plain.provider, { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).toThrow();
    expect(await publishedKids()).toEqual(['second-key']);
  });
});
