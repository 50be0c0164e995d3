import type { TokenSet } from '@baton/dto';
import { AuthServerHarness, freePort, launchChromium, LaunchedChromium, startAuthServer, tokenRequest, workspaceRoot } from '@baton/testing';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { claimsOf } from './support/http';

const SCREENSHOTS = join(workspaceRoot(), 'apps', 'e2e', 'test-output');

/** The app's side of RFC 8252: a loopback HTTP server on any port that receives the redirect. */
class RedirectTarget {
  readonly received: URL[] = [];
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async listen(): Promise<RedirectTarget> {
    const port = await freePort();
    const target: RedirectTarget = new RedirectTarget(
      createServer((request, response) => {
        target.received.push(new URL(request.url ?? '/', `http://127.0.0.1:${port}`));
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end('<!DOCTYPE html><title>Signed in</title><h1>Signed in: you can close this window.</h1>');
      }),
      port,
    );
    await new Promise<void>((resolve) => target.server.listen(port, '127.0.0.1', resolve));
    return target;
  }

  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}/callback`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('alice logs in with a real browser', () => {
  let auth: AuthServerHarness;
  let browser: Browser;
  let target: RedirectTarget;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    let launched: LaunchedChromium;
    [auth, target, launched] = await Promise.all([startAuthServer(), RedirectTarget.listen(), launchChromium()]);
    browser = launched.browser;
  });

  afterAll(async () => {
    await browser?.close();
    await target?.close();
    await auth?.stop();
  });

  it('fills the login form, approves consent, and the code reaches the loopback redirect URI', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL('/oauth2/authorize', auth.issuer);
    authorize.search = new URLSearchParams({
      client_id: 'demo-app',
      response_type: 'code',
      redirect_uri: target.redirectUri,
      scope: 'openid user.read message.read',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();

    const page = await browser.newPage({ viewport: { width: 640, height: 720 } });
    await page.goto(authorize.href);

    // The login page.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.textContent('main')).toContain('demo-app');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice-password');
    await page.screenshot({ path: join(SCREENSHOTS, 'login-page.png'), fullPage: true });
    await page.getByRole('button', { name: 'Sign in' }).click();

    // The consent page: who asks, for whom, and each scope in words.
    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    const consent = await page.textContent('main');
    expect(consent).toContain('alice');
    expect(consent).toContain('Read your messages');
    await page.screenshot({ path: join(SCREENSHOTS, 'consent-page.png'), fullPage: true });
    await page.getByRole('button', { name: 'Allow' }).click();

    // The browser lands on the app's redirect URI with the code.
    await page.waitForURL((url) => url.href.startsWith(target.redirectUri));
    await page.getByRole('heading', { name: /Signed in/ }).waitFor();
    // (The browser may also ask the app for /favicon.ico.)
    const callbacks = target.received.filter((url) => url.pathname === '/callback');
    expect(callbacks).toHaveLength(1);
    const callback = callbacks[0] as URL;
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(auth.issuer);
    const code = callback.searchParams.get('code');
    expect(code).toEqual(expect.any(String));

    // The app redeems it with its PKCE verifier: alice's token for user-service.
    const tokens: TokenSet = await tokenRequest(auth.issuer, {
      grant_type: 'authorization_code',
      code: code as string,
      redirect_uri: target.redirectUri,
      client_id: 'demo-app',
      code_verifier: verifier,
    });
    expect(claimsOf(tokens.access_token)).toMatchObject({ sub: 'alice', aud: 'user-service', client_id: 'demo-app' });

    for (const screenshot of ['login-page.png', 'consent-page.png']) {
      expect(statSync(join(SCREENSHOTS, screenshot)).size).toBeGreaterThan(5_000);
    }
  });
});
