import { InProcessAuthServer, postToken, startInProcess } from '../support/in-process-auth-server';
import { stopMonotonicClock, StoppedClock } from './support/monotonic-clock';
import { openSignInPage } from './support/sign-in-page';

jest.setTimeout(30_000);

/** A page as the user sees it, without what differs between any two sign-ins (interaction id, CSRF token, typed name). */
function comparable(html: string, username: string): string {
  return html
    .replace(/\/interaction\/[^/"]+\//g, '/interaction/UID/')
    .replace(/name="csrf" value="[^"]+"/g, 'name="csrf" value="CSRF"')
    .replace(`value="${username}"`, 'value="USERNAME"');
}

describe('abuse limits', () => {
  describe('failed sign-ins, per username and per address', () => {
    let server: InProcessAuthServer;
    let clock: StoppedClock;
    const WINDOW_SECONDS = 60;

    beforeAll(async () => {
      server = await startInProcess({
        AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER: '3',
        AUTH_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS: '8',
        AUTH_SERVER_LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      });
    });

    afterAll(() => server.close());

    // The window ends when the test moves the clock past it, never because the machine is slow.
    beforeEach(() => {
      clock = stopMonotonicClock();
    });

    afterEach(() => jest.restoreAllMocks());

    async function signIn(username: string, password: string): Promise<Response> {
      const page = await openSignInPage(server.baseUrl);
      return page.post('login', [['csrf', page.csrf], ['username', username], ['password', password]]);
    }

    it('refuses a username after 3 failures with 429 and Retry-After, the same for an existing and an unknown user, and recovers', async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await signIn('alice', 'guess')).status).toBe(401);
        expect((await signIn('mallory', 'guess')).status).toBe(401);
      }
      // Even the right password is refused now: guessing stops here.
      const [alice, mallory] = await Promise.all([signIn('alice', 'alice-password'), signIn('mallory', 'guess')]);
      for (const response of [alice, mallory]) {
        expect(response.status).toBe(429);
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_SECONDS);
        expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      }
      const [alicePage, malloryPage] = [await alice.text(), await mallory.text()];
      expect(alicePage).toContain('Too many failed sign-in attempts. Try again in');
      expect(comparable(alicePage, 'alice')).toBe(comparable(malloryPage, 'mallory'));
      // bob is not affected.
      expect((await signIn('bob', 'bob-password')).status).toBe(303);

      clock.advance(WINDOW_SECONDS * 1000);
      expect((await signIn('alice', 'alice-password')).status).toBe(303);
    });

    it('refuses an address after 8 failures across usernames, and recovers', async () => {
      for (let user = 0; user < 8; user += 1) expect((await signIn(`user-${user}`, 'guess')).status).toBe(401);
      const refused = await signIn('bob', 'bob-password');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe(String(WINDOW_SECONDS));
      clock.advance(WINDOW_SECONDS * 1000);
      expect((await signIn('bob', 'bob-password')).status).toBe(303);
    });
  });

  describe('token endpoint requests per client', () => {
    let server: InProcessAuthServer;
    const userService = { id: 'user-service', secret: 'secret' };

    beforeAll(async () => {
      server = await startInProcess({ AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '1', AUTH_SERVER_TOKEN_BURST_PER_CLIENT: '3' });
    });

    afterAll(() => server.close());

    afterEach(() => jest.restoreAllMocks());

    it('answers 429 temporarily_unavailable with Retry-After beyond the burst, spends it only once the client authenticated, spares other clients, and recovers', async () => {
      // Nothing is refilled while the test runs, only when it moves the clock.
      const clock = stopMonotonicClock();
      const grant = { grant_type: 'client_credentials' };
      expect((await postToken(server.baseUrl, grant, userService)).status).toBe(200);
      expect((await postToken(server.baseUrl, grant, userService)).status).toBe(200);
      // A wrong secret does not spend the client's budget (that is the per-address failure limit's job).
      expect((await postToken(server.baseUrl, grant, { ...userService, secret: 'guess' })).status).toBe(401);
      expect((await postToken(server.baseUrl, grant, userService)).status).toBe(200);

      const limited = await postToken(server.baseUrl, grant, userService);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.headers.get('cache-control')).toBe('no-store');
      expect(limited.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'too many token requests from this client; retry after 1 s',
      });
      // The client_secret_post form is the same client.
      expect((await postToken(server.baseUrl, { ...grant, client_id: 'user-service', client_secret: 'secret' })).status).toBe(429);
      // Another client has its own budget.
      const other = await postToken(server.baseUrl, { grant_type: 'refresh_token', refresh_token: 'unknown', client_id: 'demo-app' });
      expect(other.body).toMatchObject({ error: 'invalid_grant' });

      clock.advance(1_000);
      expect((await postToken(server.baseUrl, grant, userService)).status).toBe(200);
    });
  });
});
