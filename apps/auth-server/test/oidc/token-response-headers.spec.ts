import { InProcessAuthServer, jwtPayload, startInProcess } from '../support/in-process-auth-server';
import { exchangeForMessageService, FormReply, postForm, redeemCode, signInForCode, USER_SERVICE } from './support/oauth-forms';

/** RFC 6749 §5.1: token answers are never stored, by HTTP/1.1 caches nor by HTTP/1.0 ones. */
function expectNotStored(reply: FormReply): void {
  expect(reply.headers.get('cache-control')).toBe('no-store');
  expect(reply.headers.get('pragma')).toBe('no-cache');
}

describe('token endpoint answers are never cached', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(async () => {
    await server.close();
  });

  it('[H10] authorization_code, refresh_token and token-exchange answers: 200 with no-store and Pragma: no-cache', async () => {
    const issued = await signInForCode(server.baseUrl, 'alice', 'alice-password');
    const code = await redeemCode(server.baseUrl, issued);
    expect(code.status).toBe(200);
    expectNotStored(code);

    const refresh = await postForm(server.baseUrl, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: String(code.body?.['refresh_token']),
      client_id: 'demo-app',
    });
    expect(refresh.status).toBe(200);
    expectNotStored(refresh);

    const exchanged = await exchangeForMessageService(server.baseUrl, String(refresh.body?.['access_token']));
    expect(exchanged.status).toBe(200);
    expect(jwtPayload(String(exchanged.body?.['access_token']))).toMatchObject({ aud: 'message-service', sub: 'alice' });
    expectNotStored(exchanged);
  });

  it('[H10] client_credentials answer: 200 with no-store and Pragma: no-cache', async () => {
    const reply = await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE);
    expect(reply.status).toBe(200);
    expectNotStored(reply);
  });

  it.each([
    ['a wrong client secret', { grant_type: 'client_credentials', client_id: 'user-service', client_secret: 'wrong' }, 401, 'invalid_client'],
    ['an unknown code', { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'http://127.0.0.1/callback', client_id: 'demo-app', code_verifier: 'v'.repeat(43) }, 400, 'invalid_grant'],
    ['an unknown grant type', { grant_type: 'password', client_id: 'demo-app' }, 400, 'unsupported_grant_type'],
    ['a garbage subject token', { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', client_id: 'user-service', client_secret: 'secret', subject_token: 'x', subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', audience: 'message-service' }, 400, 'invalid_request'],
  ])('[H10] an error answer (%s): no-store and Pragma: no-cache', async (_name, form, status, error) => {
    const reply = await postForm(server.baseUrl, '/oauth2/token', form);
    expect([reply.status, reply.body?.['error']]).toEqual([status, error]);
    expectNotStored(reply);
  });

  it('[H10] introspection and revocation answers: no-store and Pragma: no-cache', async () => {
    const introspection = await postForm(server.baseUrl, '/oauth2/introspect', { token: 'garbage' }, USER_SERVICE);
    expect(introspection.status).toBe(200);
    expectNotStored(introspection);
    const revocation = await postForm(server.baseUrl, '/oauth2/revoke', { token: 'garbage' }, USER_SERVICE);
    expect(revocation.status).toBe(200);
    expectNotStored(revocation);
  });
});

describe('token endpoint answers past the rate limit', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    // One request at once and a refill far slower than the test: the second request is over the limit.
    server = await startInProcess({ AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '1', AUTH_SERVER_TOKEN_BURST_PER_CLIENT: '1' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('[H10] the 429 temporarily_unavailable answer: no-store, Pragma: no-cache and Retry-After', async () => {
    // Twenty at once against a budget of one (refilled once a second): most are over the limit
    // however slow the machine is.
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE)),
    );
    const reply = replies.find((candidate) => candidate.status === 429);
    if (reply === undefined) throw new Error(`no 429 among ${replies.map((candidate) => candidate.status).join(' ')}`);
    expect(reply.body?.['error']).toBe('temporarily_unavailable');
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
    expectNotStored(reply);
  });
});
