import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JsonWebKeySet } from '@baton/dto';
import { authorizationCodeLogin, CookieJar, OAuthRequestError, refreshTokens } from '@baton/testing';
import { demoAuthorizeUrl } from '../support/demo-authorize-url';
import { InProcessAuthServer, jwtPayload, postToken, startInProcess } from '../support/in-process-auth-server';

describe('authorization code + PKCE, login and consent pages', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(async () => {
    await server.close();
  });

  const login = (username: string, password: string, options: Partial<Parameters<typeof authorizationCodeLogin>[0]> = {}) =>
    authorizationCodeLogin({ baseUrl: server.baseUrl, username, password, ...options });

  /** Starts an authorization request in a fresh "browser" and returns the login page's URL and cookies. */
  async function startAuthorization(parameters: Record<string, string> = {}): Promise<{ response: Response; jar: CookieJar }> {
    const jar = new CookieJar();
    const url = demoAuthorizeUrl(server.baseUrl, parameters);
    const response = await fetch(url, { redirect: 'manual' });
    jar.store(response);
    return { response, jar };
  }

  async function loginPage(): Promise<{ url: URL; jar: CookieJar }> {
    const { response, jar } = await startAuthorization();
    expect(response.status).toBe(303);
    return { url: new URL(response.headers.get('location') ?? '', server.baseUrl), jar };
  }

  /** The CSRF token the page at `url` puts in its forms (the page is read with this browser's cookies). */
  async function csrfOf(url: URL, jar: CookieJar): Promise<string> {
    const page = await (await fetch(url, { headers: { cookie: jar.header(url) ?? '' } })).text();
    return /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  }

  async function submitLogin(username: string, password: string): Promise<Response> {
    const { url, jar } = await loginPage();
    return fetch(`${url.href}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(url) ?? '' },
      body: new URLSearchParams({ csrf: await csrfOf(url, jar), username, password }),
    });
  }

  it('logs alice in (login form, consent, code, token) and refreshes', async () => {
    const steps: string[] = [];
    const tokens = await login('alice', 'alice-password', { onStep: (step) => steps.push(step) });
    expect(steps).toEqual(['login', 'consent']);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'user.read message.read message.write' });

    const jwks = createLocalJWKSet((await (await fetch(`${server.baseUrl}/oauth2/jwks`)).json()) as JsonWebKeySet);
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.config.issuer, audience: 'user-service', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'alice', aud: 'user-service', client_id: 'demo-app', scope: 'user.read message.read message.write' });
    const idToken = await jwtVerify(tokens.id_token ?? '', jwks, { issuer: server.config.issuer, audience: 'demo-app' });
    expect(idToken.payload.sub).toBe('alice');

    expect(typeof tokens.refresh_token).toBe('string');
    const refreshed = await refreshTokens({ baseUrl: server.baseUrl, refreshToken: tokens.refresh_token ?? '' });
    expect(jwtPayload(refreshed.access_token)).toMatchObject({ sub: 'alice', aud: 'user-service', scope: 'user.read message.read message.write' });
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    // A public client's refresh token rotates: the used one is spent.
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const reuse = await postToken(server.baseUrl, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '', client_id: 'demo-app' });
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('gives bob his own sub', async () => {
    const tokens = await login('bob', 'bob-password');
    expect(jwtPayload(tokens.access_token)).toMatchObject({ sub: 'bob', aud: 'user-service' });
  });

  it('a user who consents to user.read message.read gets a user-service token with exactly those', async () => {
    const tokens = await login('alice', 'alice-password', { consent: ['user.read', 'message.read'] });
    expect(tokens.scope).toBe('user.read message.read');
    expect(jwtPayload(tokens.access_token)).toMatchObject({ aud: 'user-service', scope: 'user.read message.read' });
  });

  it('asking for user.read message.read gives exactly those', async () => {
    const tokens = await login('alice', 'alice-password', { scope: 'openid user.read message.read' });
    expect(jwtPayload(tokens.access_token)['scope']).toBe('user.read message.read');
  });

  it.each([
    ['its audience', 'message-service'],
    ['its URI', 'http://localhost:8081'],
  ])('issues a token for another resource server named by %s', async (_how, resource) => {
    const tokens = await login('alice', 'alice-password', { resource, scope: 'openid message.read' });
    expect(jwtPayload(tokens.access_token)).toMatchObject({ sub: 'alice', aud: 'message-service', scope: 'message.read' });
  });

  it('matches the loopback redirect URI on any port (RFC 8252)', async () => {
    for (const redirectUri of ['http://127.0.0.1:61000/callback', 'http://localhost:5173/callback']) {
      const tokens = await login('alice', 'alice-password', { redirectUri });
      expect(jwtPayload(tokens.access_token)['sub']).toBe('alice');
    }
  });

  describe('the login page', () => {
    it('is server-rendered HTML with a CSP that allows no script', async () => {
      const { url, jar } = await loginPage();
      const response = await fetch(url, { headers: { cookie: jar.header(url) ?? '' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; /);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      const page = await response.text();
      expect(page).toContain('<form method="post" action="/interaction/');
      expect(page).toContain('name="password"');
      expect(page).not.toContain('<script');
    });

    it('says the same for a wrong password and for an unknown user (no enumeration)', async () => {
      const wrongPassword = await submitLogin('alice', 'not-her-password');
      const unknownUser = await submitLogin('mallory', 'whatever');
      for (const response of [wrongPassword, unknownUser]) {
        expect(response.status).toBe(401);
        expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
        const page = await response.text();
        expect(page).toContain('<p class="error" role="alert">Invalid username or password.</p>');
        expect(page).toContain('name="password"');
      }
    });

    it('makes the harness login throw with status 401 on a wrong password', async () => {
      const attempt = login('alice', 'wrong');
      await expect(attempt).rejects.toBeInstanceOf(OAuthRequestError);
      await expect(attempt).rejects.toMatchObject({ status: 401, message: expect.stringContaining('Invalid username or password.') });
    });

    it('escapes what it echoes back', async () => {
      const response = await submitLogin('<script>alert("x")</script>', 'p');
      const page = await response.text();
      expect(page).toContain('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"');
      expect(page).not.toContain('<script>alert');
    });

    it('answers a page without its interaction cookie with an error page, not a stack trace', async () => {
      const { url } = await loginPage();
      const response = await fetch(url);
      expect(response.status).toBe(400);
      const page = await response.text();
      expect(page).toContain('This sign-in request has expired or belongs to another browser.');
      expect(page).not.toMatch(/at .*\.js:\d+/);
    });

    it('sends the user back with access_denied when they cancel', async () => {
      const { url, jar } = await loginPage();
      const body = new URLSearchParams({ csrf: await csrfOf(url, jar) });
      const response = await fetch(`${url.href}/abort`, { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(url) ?? '', 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect(response.status).toBe(303);
      jar.store(response);
      const resumed = new URL(response.headers.get('location') ?? '', server.baseUrl);
      const final = await fetch(resumed, { redirect: 'manual', headers: { cookie: jar.header(resumed) ?? '' } });
      const callback = new URL(final.headers.get('location') ?? '');
      expect(callback.origin + callback.pathname).toBe('http://127.0.0.1:4567/callback');
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('state')).toBe('state-1');
    });
  });

  describe('authorization request refusals', () => {
    async function redirectError(parameters: Record<string, string>): Promise<URLSearchParams> {
      const { response } = await startAuthorization(parameters);
      expect(response.status).toBe(303);
      return new URL(response.headers.get('location') ?? '').searchParams;
    }

    it('requires PKCE: no code_challenge is invalid_request', async () => {
      const { response } = await startAuthorization({ code_challenge: '', code_challenge_method: '' });
      const params = new URL(response.headers.get('location') ?? '').searchParams;
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toBe('Authorization Server policy requires PKCE to be used for this request');
    });

    it('refuses the plain PKCE method', async () => {
      const params = await redirectError({ code_challenge_method: 'plain' });
      expect(params.get('error')).toBe('invalid_request');
    });

    it('refuses an unregistered redirect URI with an error page (never redirecting there)', async () => {
      const { response } = await startAuthorization({ redirect_uri: 'https://evil.example/callback' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
      const page = await response.text();
      expect(page).toContain('<code>invalid_redirect_uri</code>');
    });

    it('refuses an unknown resource with invalid_target', async () => {
      const params = await redirectError({ resource: 'http://localhost:9999' });
      expect(params.get('error')).toBe('invalid_target');
    });
  });

  describe('token request refusals', () => {
    async function codeFor(verifier: string): Promise<string> {
      const jar = new CookieJar();
      let captured = '';
      // Drive the flow by hand up to the code: authorizationCodeLogin exchanges it itself.
      const redirectUri = 'http://127.0.0.1:4567/callback';
      const url = new URL(`${server.baseUrl}/oauth2/authorize`);
      url.search = new URLSearchParams({
        client_id: 'demo-app',
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'openid user.read',
        state: 's',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      let next: URL = url;
      for (let step = 0; step < 10 && captured === ''; step += 1) {
        const response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header(next) ?? '' } });
        jar.store(response);
        if (response.status === 303) {
          next = new URL(response.headers.get('location') ?? '', server.baseUrl);
          if (next.href.startsWith(redirectUri)) captured = next.searchParams.get('code') ?? '';
          continue;
        }
        const page = await response.text();
        const action = new URL(/action="([^"]+)"/.exec(page)?.[1] ?? '', server.baseUrl);
        const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
        const form = action.pathname.endsWith('/login')
          ? new URLSearchParams({ csrf, username: 'alice', password: 'alice-password' })
          : new URLSearchParams([['csrf', csrf], ['scope', 'openid'], ['scope', 'user.read']]);
        const posted = await fetch(action, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: jar.header(action) ?? '', 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        });
        jar.store(posted);
        next = new URL(posted.headers.get('location') ?? '', server.baseUrl);
      }
      expect(captured).not.toBe('');
      return captured;
    }

    it('refuses a wrong code_verifier with invalid_grant', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const code = await codeFor(verifier);
      const exchange = (codeVerifier: string) =>
        postToken(server.baseUrl, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'http://127.0.0.1:4567/callback',
          client_id: 'demo-app',
          code_verifier: codeVerifier,
        });
      const wrong = await exchange(randomBytes(32).toString('base64url'));
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatchObject({ error: 'invalid_grant' });
    });

    it('refuses a code used twice with invalid_grant', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const code = await codeFor(verifier);
      const exchange = () =>
        postToken(server.baseUrl, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'http://127.0.0.1:4567/callback',
          client_id: 'demo-app',
          code_verifier: verifier,
        });
      expect((await exchange()).status).toBe(200);
      const again = await exchange();
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ error: 'invalid_grant' });
    });

    it('refuses an unknown refresh token with invalid_grant', async () => {
      const { status, body } = await postToken(server.baseUrl, { grant_type: 'refresh_token', refresh_token: 'made-up', client_id: 'demo-app' });
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'invalid_grant' });
    });
  });
});
