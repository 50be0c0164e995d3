import { AuthServerHarness, CookieJar, OAuthRequestError, jsonLogLines, refreshTokens, startAuthServer } from '@baton/testing';
import { spawnSync } from 'node:child_process';
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
