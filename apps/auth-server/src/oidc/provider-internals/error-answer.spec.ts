import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { PLAIN_CLIENT, PlainProvider, postForm, startPlainProvider } from './test-support/plain-provider.fixture';
import { basicChallenge, rewriteErrorAnswer } from './error-answer';

/** A grant whose handler fails the way a bug would: oidc-provider answers 500 server_error. */
const FAILING_GRANT = 'urn:baton:test:failing';

/**
 * Guards the response-rewrite seam: an error answer oidc-provider has set must still be
 * replaceable both from its `grant.error` event and from a Koa middleware after `next()`.
 * Fails if an upgrade emits the event before setting the body, or sends the answer earlier.
 */
describe('rewriteErrorAnswer (oidc-provider error answer seam)', () => {
  let plain: PlainProvider;
  const htmlRewrites: boolean[] = [];

  beforeAll(async () => {
    plain = await startPlainProvider({
      extraGrantTypes: [FAILING_GRANT],
      prepare: (provider: Provider) => {
        provider.registerGrantType(FAILING_GRANT, () => Promise.reject(new Error('a bug')));
        provider.use(async (ctx, next) => {
          await next();
          if (ctx.status >= 500) rewriteErrorAnswer(ctx, { error_id: 'test-error-id' });
        });
        provider.on('grant.error', (ctx: KoaContextWithOIDC) => {
          const rewritten = rewriteErrorAnswer(ctx, {
            status: 401,
            error: 'invalid_client',
            error_description: 'rewritten from the event',
            challenge: basicChallenge('test-realm'),
          });
          if (ctx.accepts('json', 'html') === 'html') htmlRewrites.push(rewritten);
        });
      },
    });
  });
  afterAll(() => plain.close());

  it('replaces the JSON answer from the grant.error event: status, body and challenge', async () => {
    const { status, headers, body } = await postForm(plain.baseUrl, '/token', { grant_type: 'client_credentials', resource: 'not-a-uri' }, PLAIN_CLIENT);
    expect(status).toBe(401);
    expect(body).toEqual({ error: 'invalid_client', error_description: 'rewritten from the event' });
    expect(headers.get('www-authenticate')).toBe('Basic realm="test-realm", error="invalid_client"');
  });

  it('adds the error id to a 500 from a middleware after next(), keeping oidc-provider’s code', async () => {
    const { status, body } = await postForm(plain.baseUrl, '/token', { grant_type: FAILING_GRANT }, PLAIN_CLIENT);
    expect(status).toBe(500);
    expect(body['error']).toBe('server_error');
    expect(body['error_id']).toBe('test-error-id');
    expect(JSON.stringify(body)).not.toContain('a bug');
  });

  it('leaves an HTML error page alone', async () => {
    htmlRewrites.splice(0);
    const response = await fetch(`${plain.baseUrl}/token`, {
      method: 'POST',
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${PLAIN_CLIENT.id}:${PLAIN_CLIENT.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'not-a-uri' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(htmlRewrites).toEqual([false]);
  });
});
