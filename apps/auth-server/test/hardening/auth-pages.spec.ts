import { InProcessAuthServer, startInProcess } from '../support/in-process-auth-server';
import { openSignInPage, SignInPage } from './support/sign-in-page';

/** Follows the browser from a POSTed form to the next interaction page (consent), keeping cookies. */
async function nextPage(page: SignInPage, response: Response, baseUrl: string): Promise<{ url: URL; html: string; headers: Headers }> {
  let current = response;
  for (let step = 0; step < 5; step += 1) {
    const location = current.headers.get('location');
    if (location === null) break;
    const url = new URL(location, baseUrl);
    current = await fetch(url, { redirect: 'manual', headers: { cookie: page.jar.header(url) ?? '' } });
    page.jar.store(current);
    if (current.status === 200) return { url, html: await current.text(), headers: current.headers };
  }
  throw new Error(`no page after ${response.status}`);
}

const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('sign-in pages: CSRF, clickjacking and cookie flags', () => {
  let server: InProcessAuthServer;

  beforeAll(async () => {
    server = await startInProcess();
  });

  afterAll(() => server.close());

  describe('CSRF', () => {
    it('puts a CSRF token in every form of the login page', async () => {
      const page = await openSignInPage(server.baseUrl);
      expect(page.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(page.html.match(/name="csrf"/g)).toHaveLength(2);
    });

    it.each<[string, (page: SignInPage) => [string, string][], Record<string, string>]>([
      ['no token', () => [['username', 'alice'], ['password', 'alice-password']], {}],
      ['a wrong token', () => [['csrf', 'x'.repeat(43)], ['username', 'alice'], ['password', 'alice-password']], {}],
      ['the right token from another site (Origin)', (page) => [['csrf', page.csrf], ['username', 'alice'], ['password', 'alice-password']], { origin: 'https://attacker.example' }],
      ['the right token, Sec-Fetch-Site cross-site', (page) => [['csrf', page.csrf], ['username', 'alice'], ['password', 'alice-password']], { 'sec-fetch-site': 'cross-site' }],
    ])('refuses a login post with %s: 403, nobody signed in', async (_case, fields, headers) => {
      const page = await openSignInPage(server.baseUrl);
      const response = await page.post('login', fields(page), headers);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('This form was not sent from this sign-in page.');
      // The genuine form still works afterwards: the refusal changed nothing.
      const genuine = await page.post('login', [['csrf', page.csrf], ['username', 'alice'], ['password', 'alice-password']], { origin: server.baseUrl });
      expect(genuine.status).toBe(303);
    });

    it('accepts the genuine form as Chromium posts it from these no-referrer pages (Origin: null, same-origin)', async () => {
      const page = await openSignInPage(server.baseUrl);
      const response = await page.post('login', [['csrf', page.csrf], ['username', 'alice'], ['password', 'alice-password']], {
        origin: 'null',
        'sec-fetch-site': 'same-origin',
      });
      expect(response.status).toBe(303);
    });

    it('refuses the token of another interaction', async () => {
      const [mine, other] = await Promise.all([openSignInPage(server.baseUrl), openSignInPage(server.baseUrl)]);
      const response = await mine.post('login', [['csrf', other.csrf], ['username', 'alice'], ['password', 'alice-password']]);
      expect(response.status).toBe(403);
    });

    it('protects the consent form and the cancel button too', async () => {
      const page = await openSignInPage(server.baseUrl);
      const loggedIn = await page.post('login', [['csrf', page.csrf], ['username', 'alice'], ['password', 'alice-password']]);
      const consent = await nextPage(page, loggedIn, server.baseUrl);
      expect(consent.html).toContain('Allow access');
      expect(consent.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(consent.headers.get('x-frame-options')).toBe('DENY');
      const csrf = csrfOf(consent.html);
      expect(csrf).not.toBe('');
      const post = (action: string, fields: [string, string][], headers: Record<string, string> = {}) =>
        fetch(`${consent.url.href}/${action}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.jar.header(consent.url) ?? '', ...headers },
          body: new URLSearchParams(fields),
        });
      expect((await post('confirm', [['scope', 'openid'], ['scope', 'user.read']])).status).toBe(403);
      expect((await post('confirm', [['csrf', csrf], ['scope', 'user.read']], { origin: 'https://attacker.example' })).status).toBe(403);
      expect((await post('abort', [])).status).toBe(403);
      expect((await post('confirm', [['csrf', csrf], ['scope', 'openid'], ['scope', 'user.read']])).status).toBe(303);
    });
  });

  describe('clickjacking and content policy', () => {
    it('forbids framing and scripts on the login page', async () => {
      const page = await openSignInPage(server.baseUrl);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('cookies', () => {
    const flagsOf = (header: string) => header.split(';').map((part) => part.trim().toLowerCase());

    it('sets HttpOnly and SameSite=Lax on every cookie, not Secure for an http issuer (development)', async () => {
      const page = await openSignInPage(server.baseUrl);
      await page.post('login', [['csrf', page.csrf], ['username', 'alice'], ['password', 'alice-password']]);
      const cookies = page.setCookies.filter((header) => !/=;/.test(header));
      expect(cookies.length).toBeGreaterThanOrEqual(2);
      for (const header of cookies) {
        expect(flagsOf(header)).toEqual(expect.arrayContaining(['httponly', 'samesite=lax']));
        expect(flagsOf(header)).not.toContain('secure');
      }
    });

    it('adds Secure for an https issuer behind a TLS-terminating proxy', async () => {
      const https = await startInProcess({ AUTH_SERVER_ISSUER: 'https://auth.example' });
      try {
        const page = await openSignInPage(https.baseUrl, { 'x-forwarded-proto': 'https' });
        const response = await page.post('login', [['csrf', page.csrf], ['username', 'alice'], ['password', 'alice-password']]);
        expect(response.status).toBe(303);
        const cookies = page.setCookies.filter((header) => !/=;/.test(header));
        expect(cookies.length).toBeGreaterThanOrEqual(2);
        for (const header of cookies) expect(flagsOf(header)).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'secure']));
      } finally {
        await https.close();
      }
    });
  });
});
