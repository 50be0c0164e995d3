import { InProcessAuthServer, startInProcess } from '../support/in-process-auth-server';
import { openSignInPage, SignInPage } from './support/sign-in-page';

jest.setTimeout(60_000);

const WINDOW_SECONDS = 900;

function login(page: SignInPage, username: string, password: string): Promise<Response> {
  return page.post('login', [['csrf', page.csrf], ['username', username], ['password', password]]);
}

function expectRefused(response: Response): void {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(response.headers.get('cache-control')).toBe('no-store');
}

/**
 * The attack of issue 11 item 1: guesses POSTed at once with one sign-in page's cookies and CSRF
 * token. The limits are the defaults (5 per username, 20 per address).
 */
describe('sign-in limits under concurrent guesses', () => {
  let server: InProcessAuthServer;

  beforeEach(async () => {
    server = await startInProcess({
      AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER: '5',
      AUTH_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS: '20',
      AUTH_SERVER_LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
    });
  });

  afterEach(() => server.close());

  it('[H01] of 24 wrong passwords sent at once for one username, 5 are tried and 19 refused 429; the right password then gets 429', async () => {
    const page = await openSignInPage(server.baseUrl);
    const guesses = await Promise.all(Array.from({ length: 24 }, (_, guess) => login(page, 'bob', `guess-${guess}`)));
    const statuses = guesses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(19);
    guesses.filter((response) => response.status === 429).forEach(expectRefused);
    const right = await login(page, 'bob', 'bob-password');
    expectRefused(right);
    expect(await right.text()).toContain('Too many failed sign-in attempts. Try again in');
  });

  it('[H01] 24 wrong passwords and the right one sent at once: at most 5 are tried, and bob gets in only if his was among them', async () => {
    const page = await openSignInPage(server.baseUrl);
    const attempts = await Promise.all([
      ...Array.from({ length: 24 }, (_, guess) => login(page, 'bob', `guess-${guess}`)),
      login(page, 'bob', 'bob-password'),
    ]);
    const tried = attempts.filter((response) => response.status !== 429);
    expect(tried.length).toBeLessThanOrEqual(5);
    expect(tried.every((response) => [401, 303].includes(response.status))).toBe(true);
    attempts.filter((response) => response.status === 429).forEach(expectRefused);
    expect(attempts.filter((response) => response.status === 429).length).toBeGreaterThanOrEqual(20);
  });

  it('[H01] from one address, 30 attempts at once across usernames: 20 are tried, 10 refused; then bob from that address gets 429', async () => {
    const page = await openSignInPage(server.baseUrl);
    const guesses = await Promise.all(Array.from({ length: 30 }, (_, user) => login(page, `user-${user}`, 'guess')));
    const statuses = guesses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);
    guesses.filter((response) => response.status === 429).forEach(expectRefused);
    expectRefused(await login(await openSignInPage(server.baseUrl), 'bob', 'bob-password'));
  });
});
