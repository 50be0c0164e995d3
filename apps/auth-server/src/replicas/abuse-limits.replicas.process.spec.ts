import { AuthServerReplicas, startAuthServerReplicas, TestPostgres } from '@baton/testing';
import { clientCredentials, LimitAnswer, openSignInForm } from './test-support/abuse-limits.clients';

jest.setTimeout(180_000);

const MAX_FAILURES_PER_USER = 5;
const LOGIN_WINDOW_SECONDS = 900;
/**
 * Every token request holds one of these points from before its client is authenticated until it
 * is, so a burst of right secrets larger than this would be refused by it: the token-budget test
 * sends fewer at once.
 */
const CLIENT_AUTH_MAX_FAILURES = 20;
const CLIENT_AUTH_WINDOW_SECONDS = 300;
const TOKEN_RATE = 1;
const TOKEN_BURST = 5;

function expectRefused(answer: LimitAnswer, maxRetryAfter: number): void {
  expect(answer.status).toBe(429);
  const retryAfter = Number(answer.retryAfter);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
}

const count = (answers: readonly LimitAnswer[], status: number) => answers.filter((answer) => answer.status === status).length;

/**
 * The abuse limits of two real auth-server processes on one PostgreSQL database: the configured
 * limits hold in total, not per replica, when the requests are spread over both (every other
 * request straight to each replica), and a stopped database refuses (503) instead of letting
 * guesses through. Every request comes from 127.0.0.1, so the tests run in order on purpose: the
 * address whose client authentications are exhausted by the third stays so for the fourth.
 */
describe('abuse limits across two auth-server replicas on PostgreSQL (process)', () => {
  let postgres: TestPostgres;
  let auth: AuthServerReplicas;
  /** The replicas' own URLs, each request of a burst to the next one. */
  let spread: (index: number) => string;

  beforeAll(async () => {
    postgres = await TestPostgres.start();
    auth = await startAuthServerReplicas({
      databaseUrl: await postgres.createDatabase('abuse'),
      env: {
        AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER: String(MAX_FAILURES_PER_USER),
        AUTH_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS: '20',
        AUTH_SERVER_LOGIN_FAILURE_WINDOW_SECONDS: String(LOGIN_WINDOW_SECONDS),
        AUTH_SERVER_CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: String(CLIENT_AUTH_MAX_FAILURES),
        AUTH_SERVER_CLIENT_AUTH_FAILURE_WINDOW_SECONDS: String(CLIENT_AUTH_WINDOW_SECONDS),
        AUTH_SERVER_TOKEN_RATE_PER_CLIENT: String(TOKEN_RATE),
        AUTH_SERVER_TOKEN_BURST_PER_CLIENT: String(TOKEN_BURST),
      },
    });
    spread = (index) => auth.replicas[index % auth.replicas.length]?.issuer as string;
  });

  afterAll(async () => {
    await auth?.stop();
    await postgres?.stop();
  });

  it('[H01] 24 wrong passwords for one user at once over both replicas: exactly 5 are checked (401), 19 refused 429; then the right one is 429 at either', async () => {
    const form = await openSignInForm(auth.issuer);
    const guesses = await Promise.all(Array.from({ length: 24 }, (_, guess) => form.login(spread(guess), 'bob', `guess-${guess}`)));
    expect(count(guesses, 401)).toBe(MAX_FAILURES_PER_USER);
    expect(count(guesses, 429)).toBe(24 - MAX_FAILURES_PER_USER);
    guesses.filter((answer) => answer.status === 429).forEach((answer) => expectRefused(answer, LOGIN_WINDOW_SECONDS));
    for (const replica of [0, 1]) {
      const right = await form.login(spread(replica), 'bob', 'bob-password');
      expectRefused(right, LOGIN_WINDOW_SECONDS);
      expect(right.text).toContain('Too many failed sign-in attempts');
    }
    // Another user is not affected: the right password signs alice in (303 back to the provider).
    const alice = await openSignInForm(auth.issuer);
    expect((await alice.login(spread(1), 'alice', 'alice-password')).status).toBe(303);
  });

  it('token budget: requests of one client spread over both replicas get exactly the burst at once, then 429 + Retry-After', async () => {
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 3 * TOKEN_BURST }, (_, request) => clientCredentials(spread(request), 'user-service', 'secret')));
    const elapsedSeconds = (performance.now() - started) / 1000;
    const granted = count(answers, 200);
    // One bucket for both replicas: the burst, plus what the rate refilled while they ran (per
    // replica budgets would grant twice the burst).
    expect(granted).toBeGreaterThanOrEqual(TOKEN_BURST);
    expect(granted).toBeLessThanOrEqual(TOKEN_BURST + Math.floor(elapsedSeconds * TOKEN_RATE));
    expect(granted).toBeLessThan(2 * TOKEN_BURST);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(refused.length).toBe(answers.length - granted);
    for (const answer of refused) {
      expectRefused(answer, Math.ceil(1 / TOKEN_RATE));
      expect(answer.body['error']).toBe('temporarily_unavailable');
    }
    // Another client's budget is its own.
    expect((await clientCredentials(spread(1), 'message-service', 'token')).status).not.toBe(429);
  });

  it('wrong client secrets from one address spread over both replicas: the per-address limit holds in total; then the right secret is 429 too', async () => {
    const attempts = await Promise.all(Array.from({ length: 3 * CLIENT_AUTH_MAX_FAILURES }, (_, attempt) => clientCredentials(spread(attempt), 'user-service', `wrong-${attempt}`)));
    expect(count(attempts, 401)).toBe(CLIENT_AUTH_MAX_FAILURES);
    expect(count(attempts, 429)).toBe(2 * CLIENT_AUTH_MAX_FAILURES);
    attempts.filter((answer) => answer.status === 401).forEach((answer) => expect(answer.body['error']).toBe('invalid_client'));
    attempts.filter((answer) => answer.status === 429).forEach((answer) => expectRefused(answer, CLIENT_AUTH_WINDOW_SECONDS));
    for (const replica of [0, 1]) expectRefused(await clientCredentials(spread(replica), 'user-service', 'secret'), CLIENT_AUTH_WINDOW_SECONDS);
  });

  it('the database stopped: sign-in and the token endpoint answer 503 temporarily_unavailable with Retry-After (never 500, never a check); back when it is', async () => {
    const form = await openSignInForm(auth.issuer);
    await postgres.stopServer();
    try {
      for (const replica of [0, 1]) {
        const signIn = await form.login(spread(replica), 'carol', 'guess');
        expect(signIn.status).toBe(503);
        expect(signIn.text).toContain('temporarily_unavailable');
        const token = await clientCredentials(spread(replica), 'user-service', 'secret');
        expect(token.status).toBe(503);
        expect(token.body['error']).toBe('temporarily_unavailable');
        expect(Number(token.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(JSON.stringify(token.body)).not.toMatch(/postgres|ECONNREFUSED|at .*\.js/i);
      }
    } finally {
      await postgres.startServer();
    }
    // Back without a restart: a wrong password is checked again (401) at both.
    const again = await openSignInForm(auth.issuer);
    for (const replica of [0, 1]) expect((await again.login(spread(replica), 'carol', 'guess')).status).toBe(401);
  });
});

