import type { Provider } from 'oidc-provider';
import { clientCredentialsToken, PLAIN_CLIENT, PlainProvider, postForm, startPlainProvider } from './test-support/plain-provider.fixture';
import { isStructuredTokenRefusal } from './structured-token-refusal';

/**
 * Guards the introspection seam: oidc-provider must still refuse a JWT at introspection with the
 * answer JwtIntrospection replaces, and only a JWT. Fails if an upgrade starts introspecting JWTs
 * itself or answers them differently.
 */
describe('isStructuredTokenRefusal (oidc-provider introspection seam)', () => {
  let plain: PlainProvider;
  const seen: boolean[] = [];

  beforeAll(async () => {
    plain = await startPlainProvider({
      prepare: (provider: Provider) =>
        provider.use(async (ctx, next) => {
          await next();
          if (ctx.path === '/token/introspection') seen.push(isStructuredTokenRefusal(ctx));
        }),
    });
  });
  afterAll(() => plain.close());
  beforeEach(() => seen.splice(0));

  it('recognises oidc-provider’s refusal of a JWT access token it issued', async () => {
    const token = await clientCredentialsToken(plain.baseUrl);
    const { status, body } = await postForm(plain.baseUrl, '/token/introspection', { token }, PLAIN_CLIENT);
    expect(status).toBe(400);
    expect(body['error']).toBe('unsupported_token_type');
    expect(seen).toEqual([true]);
  });

  it('does not take an opaque token’s answer or a client error for it', async () => {
    const opaque = await postForm(plain.baseUrl, '/token/introspection', { token: 'not-a-jwt' }, PLAIN_CLIENT);
    expect(opaque.status).toBe(200);
    expect(opaque.body).toEqual({ active: false });
    const unauthenticated = await postForm(plain.baseUrl, '/token/introspection', { token: 'not-a-jwt' }, { id: PLAIN_CLIENT.id, secret: 'wrong' });
    expect(unauthenticated.status).toBe(401);
    expect(seen).toEqual([false, false]);
  });
});
