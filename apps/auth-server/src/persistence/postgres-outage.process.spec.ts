import { AuthServerHarness, CookieJar, jsonLogLines, OAuthRequestError, startAuthServer, TestPostgres } from '@baton/testing';
import { randomBytes } from 'node:crypto';

jest.setTimeout(180_000);

/**
 * The auth server as a real process on PostgreSQL when the database server stops: the answers the
 * SQLite mode gives for a full disk (503 `temporarily_unavailable`, no-store, nothing
 * acknowledged, one log line per failure, not ready), and back by itself once the server is.
 */
describe('auth server on PostgreSQL when the database stops (process)', () => {
  let postgres: TestPostgres;
  let auth: AuthServerHarness;

  beforeAll(async () => {
    postgres = await TestPostgres.start();
    auth = await startAuthServer({
      env: {
        LOG_FORMAT: 'json',
        AUTH_SERVER_DATABASE_URL: await postgres.createDatabase(),
        AUTH_SERVER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      },
    });
  });

  afterAll(async () => {
    await auth?.stop();
    await postgres?.stop();
  });

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

  async function readyWithin(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await ready()).status;
      if (status === 200) return status;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return status;
  }

  it('answers 503 temporarily_unavailable (no-store) and is not ready while stopped; ready again and signing in once it is back, no restart', async () => {
    const tokens = await auth.login('alice', 'alice-password');
    const refreshToken = tokens.refresh_token ?? '';
    expect(refreshToken).not.toBe('');
    const pid = auth.process.child.pid;

    await postgres.stopServer();
    try {
      const refused = await postToken({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' });
      expect(refused.status).toBe(503);
      // Whichever part of the request reaches the database first answers: the request limits
      // (shared in the database too) or oidc-provider's storage; the same OAuth error either way.
      expect(refused.body['error']).toBe('temporarily_unavailable');
      expect(String(refused.body['error_description'])).toMatch(/^The server cannot (store this request|check its request limits) now; nothing was (changed|tried)\. Try again later\.$/);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(refused.headers.get('pragma')).toBe('no-cache');

      const signIn = await auth.login('bob', 'bob-password', { jar: new CookieJar() }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(signIn).toBeInstanceOf(OAuthRequestError);
      expect(String((signIn as OAuthRequestError).body)).toContain('temporarily_unavailable');

      const notReady = await ready();
      expect(notReady.status).toBe(503);
      expect(notReady.body).toContain('"database":{"status":"down"');
    } finally {
      await postgres.startServer();
    }

    // One line per refusal with the SQLSTATE or socket error, no stack, no URL, no token.
    const refusals = jsonLogLines(auth.process.logs).filter((line) => /refused by the database/.test(String(line.msg ?? line['message'])));
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals[0]).toMatchObject({ level: 'error' });
    expect(String(refusals[0]?.msg ?? refusals[0]?.['message'])).toMatch(/: (ECONNREFUSED|57P01|57P03|08\w{3}|[^:]*connection[^:]*)/i);
    expect(auth.process.logs).not.toMatch(/\n\s+at /);
    expect(auth.process.logs).not.toContain('postgres://');
    expect(auth.process.logs).not.toContain(refreshToken);

    expect(await readyWithin(30_000)).toBe(200);
    expect(auth.process.child.pid).toBe(pid);
    // Nothing was consumed by the refused refresh: it still rotates, once.
    const refreshed = await postToken({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' });
    expect(refreshed.status).toBe(200);
    expect((await postToken({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' })).body['error']).toBe('invalid_grant');
    const signedIn = await auth.login('bob', 'bob-password');
    expect(typeof signedIn.access_token).toBe('string');
  });
});
