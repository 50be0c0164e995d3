import { AuthServerHarness, launchChromium, startAuthServer } from '@baton/testing';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';

/**
 * A page on another site (http://localhost:<port>, while the auth server is http://127.0.0.1:<port>)
 * that posts a sign-in form to the auth server as soon as it loads: login CSRF, in a real browser.
 */
async function attackerSite(action: string, fields: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
    .join('');
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!DOCTYPE html><title>Win a prize</title><form id="f" method="post" action="${action}">${inputs}</form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://localhost:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('sign-in CSRF in a real browser', () => {
  let auth: AuthServerHarness;
  let browser: Browser;

  beforeAll(async () => {
    const [started, launched] = await Promise.all([startAuthServer(), launchChromium()]);
    [auth, browser] = [started, launched.browser];
  });

  afterAll(async () => {
    await browser?.close();
    await auth?.stop();
  });

  it('a form posted from another site cannot sign the victim in, even knowing the interaction and its token', async () => {
    const context = await browser.newContext();
    const victim = await context.newPage();
    const authorize = new URL('/oauth2/authorize', auth.issuer);
    authorize.search = new URLSearchParams({
      client_id: 'demo-app',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:5999/callback',
      scope: 'openid user.read',
      state: randomBytes(8).toString('base64url'),
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    await victim.goto(authorize.href);
    await victim.getByRole('heading', { name: 'Sign in' }).waitFor();
    // The worst case: the attacker has learnt the victim's interaction URL and even its CSRF token.
    const action = new URL(`${new URL(victim.url()).pathname}/login`, auth.issuer).href;
    const csrf = (await victim.locator('input[name="csrf"]').first().getAttribute('value')) ?? '';
    expect(csrf).not.toBe('');

    const site = await attackerSite(action, { csrf, username: 'bob', password: 'bob-password' });
    try {
      const attack = await context.newPage();
      const answer = attack.waitForResponse((response) => response.url() === action);
      await attack.goto(site.url);
      const response = await answer;
      expect(response.status()).toBe(403);
      expect(await attack.textContent('main')).toContain('This form was not sent from this sign-in page.');
    } finally {
      await site.close();
    }
    // The victim's sign-in is untouched: still at the login form, and alice can sign in normally.
    await victim.reload();
    await victim.getByRole('heading', { name: 'Sign in' }).waitFor();
    await victim.getByLabel('Username').fill('alice');
    await victim.getByLabel('Password').fill('alice-password');
    await victim.getByRole('button', { name: 'Sign in' }).click();
    await victim.getByRole('heading', { name: 'Allow access' }).waitFor();
    expect(await victim.textContent('main')).toContain('alice');
    await context.close();
  });
});
