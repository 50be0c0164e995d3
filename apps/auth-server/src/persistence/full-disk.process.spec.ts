import { AuthServerHarness, CookieJar, OAuthRequestError, jsonLogLines, refreshTokens, startAuthServer } from '@baton/testing';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE_NAME } from './oidc-store';

/**
 * [H02] The auth server as a real process (the built bundle) when its disk is full. The file size
 * limit of the running process (RLIMIT_FSIZE, set with util-linux's `prlimit`, no root needed) is
 * lowered to the size its write-ahead log has now, so the next commit fails the way it does on a
 * full disk; raising it again gives the space back.
 */
describe('[H02] auth server writes on a full disk (process)', () => {
  let auth: AuthServerHarness;

  beforeAll(async () => {
    auth = await startAuthServer({ env: { LOG_FORMAT: 'json' } });
  }, 60_000);

  afterEach(() => limitFileSize('unlimited'));

  afterAll(async () => {
    await auth?.stop();
  });

  function limitFileSize(bytes: number | 'unlimited'): void {
    const result = spawnSync('prlimit', ['--pid', String(auth.process.child.pid), `--fsize=${bytes}:`], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`prlimit failed: ${result.stderr}`);
  }

  /** From now on no commit fits: the log may not grow past the bytes it holds. */
  function fillDisk(): void {
    limitFileSize(statSync(join(auth.dataDir, `${DATABASE_FILE_NAME}-wal`)).size);
  }

  const postToken = async (parameters: Record<string, string>) => {
    const response = await fetch(`${auth.issuer}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(parameters),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };

  /**
   * The authorization code flow as a browser drives it (login and consent forms, cookies), up to
   * the code on the redirect: the code is not redeemed here.
   */
  async function authorizationCode(username: string, password: string): Promise<{ code: string; verifier: string; redirectUri: string }> {
    const jar = new CookieJar();
    const verifier = randomBytes(32).toString('base64url');
    const redirectUri = 'http://127.0.0.1:4567/callback';
    let url = new URL(`${auth.issuer}/oauth2/authorize`);
    url.search = new URLSearchParams({
      client_id: 'demo-app',
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid user.read',
      state: 'state-1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    let body: URLSearchParams | undefined;
    for (let step = 0; step < 12; step += 1) {
      const response = await fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(url) ?? '', ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
        body,
      });
      jar.store(response);
      body = undefined;
      const location = response.headers.get('location');
      if (location !== null) {
        const next = new URL(location, url);
        const code = next.searchParams.get('code');
        if (next.href.startsWith(redirectUri) && code !== null) return { code, verifier, redirectUri };
        url = next;
        continue;
      }
      const page = await response.text();
      const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
      if (action === undefined) throw new Error(`no form at ${url.href} (${response.status})`);
      url = new URL(action, url);
      body = url.pathname.endsWith('/login')
        ? new URLSearchParams({ csrf, username, password })
        : new URLSearchParams([['csrf', csrf], ...[...page.matchAll(/name="scope" value="([^"]+)"/g)].map((match): [string, string] => ['scope', match[1] ?? ''])]);
    }
    throw new Error('no code within 12 steps');
  }

  const ready = async () => {
    const response = await fetch(`${auth.issuer}/health/ready`);
    return { status: response.status, body: JSON.stringify(await response.json()) };
  };

  it('[H02] a refresh whose rotation cannot be stored answers 503 temporarily_unavailable, not ready; the same refresh token works once space is back', async () => {
    const tokens = await auth.login('alice', 'alice-password');
    const refreshToken = tokens.refresh_token ?? '';
    expect(refreshToken).not.toBe('');

    fillDisk();
    const refused = await postToken({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' });
    // Today's code: 500 server_error (the adapter's SQLite error, unmapped).
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The server cannot store this request now; nothing was changed. Try again later.',
    });
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.headers.get('pragma')).toBe('no-cache');

    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(notReady.body).toContain('the database cannot write');

    // One log line per refused write, naming SQLite's answer, no stack, no token.
    const refusals = jsonLogLines(auth.process.logs).filter((line) => String(line.msg).startsWith('write refused by the database'));
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals[0]).toMatchObject({ level: 'error' });
    expect(String(refusals[0]?.msg)).toMatch(/SQLITE_(IOERR|FULL) \(\d+\)/);
    expect(auth.process.logs).not.toMatch(/\n\s+at /);
    expect(auth.process.logs).not.toContain(refreshToken);

    limitFileSize('unlimited');
    expect((await ready()).status).toBe(200);
    // Nothing was consumed by the refused request: the refresh token still rotates, once.
    const refreshed = await refreshTokens({ baseUrl: auth.issuer, refreshToken });
    expect(typeof refreshed.access_token).toBe('string');
    const replay = await postToken({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' });
    expect(replay.status).toBe(400);
    expect(replay.body['error']).toBe('invalid_grant');
  }, 60_000);

  it('[H02] a code whose redemption cannot be stored answers 503 temporarily_unavailable; the same code is redeemed once space is back', async () => {
    const { code, verifier, redirectUri } = await authorizationCode('alice', 'alice-password');
    const redeem = () =>
      postToken({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'demo-app', code_verifier: verifier });

    fillDisk();
    const refused = await redeem();
    // Today's code: 500 server_error.
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The server cannot store this request now; nothing was changed. Try again later.',
    });
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect((await ready()).status).toBe(503);

    limitFileSize('unlimited');
    expect((await ready()).status).toBe(200);
    // The refused redemption did not consume the code: it is redeemed now, once.
    const redeemed = await redeem();
    expect(redeemed.status).toBe(200);
    expect(typeof redeemed.body['access_token']).toBe('string');
    const replay = await redeem();
    expect(replay.status).toBe(400);
    expect(replay.body['error']).toBe('invalid_grant');
  }, 60_000);

  it('[H02] a sign-in whose session cannot be stored is refused 503 and gives no code; it works once space is back', async () => {
    const jar = new CookieJar();
    const attempt = auth.login('bob', 'bob-password', { jar, onStep: (step) => step === 'login' && fillDisk() });
    const refused = await attempt.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(OAuthRequestError);
    expect((refused as OAuthRequestError).status).toBe(503);
    expect(String((refused as OAuthRequestError).body)).toContain('temporarily_unavailable');
    expect(String((refused as OAuthRequestError).body)).not.toMatch(/SQLITE|disk I\/O/);
    expect((await ready()).status).toBe(503);

    limitFileSize('unlimited');
    expect((await ready()).status).toBe(200);
    const tokens = await auth.login('bob', 'bob-password');
    expect(typeof tokens.access_token).toBe('string');
  }, 60_000);
});
