import type { Provider } from 'oidc-provider';
import { authorizationCodeLogin } from '@baton/testing';
import { OIDC_PROVIDER } from '../../src/oidc/oidc.constants';
import { InProcessAuthServer, startInProcess } from '../support/in-process-auth-server';
import { stopMonotonicClock } from './support/monotonic-clock';
import { postTokenFrom, TokenAnswer } from './support/post-token-from';

jest.setTimeout(60_000);

const USER_SERVICE = { id: 'user-service', secret: 'secret' };
const CLIENT_CREDENTIALS = { grant_type: 'client_credentials' };
const FAILURE_WINDOW_SECONDS = 300;
// Loopback addresses standing for three machines.
const ATTACKER = '127.0.0.2';
const USER_SERVICE_HOST = '127.0.0.3';
const MAX_FAILURES_PER_ADDRESS = 10;
const SPRING_CLIENT = { id: 'message-service', secret: 'token' };
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

function expectInvalidClient(answer: TokenAnswer): void {
  expect(answer.status).toBe(401);
  expect(answer.body['error']).toBe('invalid_client');
  expect(answer.headers['www-authenticate']).toContain('error="invalid_client"');
}

function expectTemporarilyUnavailable(answer: TokenAnswer, maxRetryAfter: number): void {
  expect(answer.status).toBe(429);
  expect(answer.body['error']).toBe('temporarily_unavailable');
  const retryAfter = Number(answer.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['pragma']).toBe('no-cache');
}

/**
 * Sends `count` requests at once and holds every secret check oidc-provider makes until each
 * request has either reached its check or been answered: the interleaving a slow check (a hashed
 * secret, a client stored in a database) or a loaded machine gives, made certain. A limit counted
 * only after the 401 lets all `count` reach the check; one reserved before the check lets only
 * the limit reach it. Nothing waits on time, only on the requests; the checks are the real ones.
 */
async function sendWithHeldSecretChecks(server: InProcessAuthServer, count: number, send: (index: number) => Promise<TokenAnswer>): Promise<TokenAnswer[]> {
  const client = server.app.get<Provider>(OIDC_PROVIDER).Client.prototype;
  const compare = client.compareClientSecret;
  let reached = 0;
  let answered = 0;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const maybeOpen = () => {
    if (reached + answered >= count) open();
  };
  jest.spyOn(client, 'compareClientSecret').mockImplementation(async function heldCompare(this: typeof client, actual: string) {
    reached += 1;
    maybeOpen();
    await gate;
    return compare.call(this, actual);
  });
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const answer = await send(index);
      // An answer before the gate opened never reached the check (or it would still be held).
      answered += 1;
      maybeOpen();
      return answer;
    }),
  );
}

/**
 * The attack of issue 11 item 3: a client's token budget spent by whoever names the client. Budgets
 * are small here (burst 5, refilled 1 a second) so the attack would empty them at once, and the
 * monotonic clock is stopped: nothing is refilled while a test runs, however slow the machine.
 */
describe('token endpoint limits', () => {
  let server: InProcessAuthServer;

  beforeEach(async () => {
    stopMonotonicClock();
    server = await startInProcess({
      AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '1',
      AUTH_SERVER_TOKEN_BURST_PER_CLIENT: '5',
      AUTH_SERVER_CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: String(MAX_FAILURES_PER_ADDRESS),
      AUTH_SERVER_CLIENT_AUTH_FAILURE_WINDOW_SECONDS: String(FAILURE_WINDOW_SECONDS),
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await server.close();
  });

  it('[H03] a flood of wrong secrets from one address leaves user-service at 200 from another; the flooding address gets 401 invalid_client, then 429', async () => {
    const wrong = { ...USER_SERVICE, secret: 'guess' };
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const refused = await postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, wrong);
      expect(refused.status).toBe(401);
      expect(refused.body['error']).toBe('invalid_client');
      expect(refused.headers['www-authenticate']).toContain('error="invalid_client"');
    }
    // The eleventh and everything after, at once, wrong or right secret: refused before any client lookup.
    const flood = await Promise.all(Array.from({ length: 100 }, () => postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, wrong)));
    flood.forEach((answer) => expectTemporarilyUnavailable(answer, FAILURE_WINDOW_SECONDS));
    expect(flood[0]?.body['error_description']).toMatch(/^too many failed client authentications from this address; retry after \d+ s$/);
    expectTemporarilyUnavailable(await postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, USER_SERVICE), FAILURE_WINDOW_SECONDS);

    // user-service, elsewhere, still has its whole burst.
    const served = await Promise.all(Array.from({ length: 5 }, () => postTokenFrom(server.baseUrl, USER_SERVICE_HOST, CLIENT_CREDENTIALS, USER_SERVICE)));
    expect(served.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('[H03] unknown client ids count as failed authentications of the address too', async () => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const refused = await postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, { id: `nobody-${attempt}`, secret: 'guess' });
      expect(refused.status).toBe(401);
      expect(refused.body['error']).toBe('invalid_client');
    }
    expectTemporarilyUnavailable(await postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, { id: 'nobody', secret: 'guess' }), FAILURE_WINDOW_SECONDS);
    expect((await postTokenFrom(server.baseUrl, USER_SERVICE_HOST, CLIENT_CREDENTIALS, USER_SERVICE)).status).toBe(200);
  });

  it('[H03] wrong secrets at introspection and revocation count too, and the address is refused there as well', async () => {
    const wrong = { ...USER_SERVICE, secret: 'guess' };
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const path = attempt % 2 === 0 ? '/oauth2/introspect' : '/oauth2/revoke';
      const refused = await postTokenFrom(server.baseUrl, ATTACKER, { token: 'anything' }, wrong, path);
      expect(refused.status).toBe(401);
      expect(refused.body['error']).toBe('invalid_client');
    }
    for (const path of ['/oauth2/introspect', '/oauth2/revoke']) {
      expectTemporarilyUnavailable(await postTokenFrom(server.baseUrl, ATTACKER, { token: 'anything' }, USER_SERVICE, path), FAILURE_WINDOW_SECONDS);
    }
    expectTemporarilyUnavailable(await postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, USER_SERVICE), FAILURE_WINDOW_SECONDS);
    // Elsewhere, user-service introspects as before, and introspection spends no token budget.
    expect((await postTokenFrom(server.baseUrl, USER_SERVICE_HOST, { token: 'anything' }, USER_SERVICE, '/oauth2/introspect')).status).toBe(200);
    const served = await Promise.all(Array.from({ length: 5 }, () => postTokenFrom(server.baseUrl, USER_SERVICE_HOST, CLIENT_CREDENTIALS, USER_SERVICE)));
    expect(served.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('[H03] 60 wrong secrets sent at once from one address: exactly 10 reach the secret check (401 invalid_client), 50 get 429 + Retry-After; user-service elsewhere stays at 200', async () => {
    const wrong = { ...USER_SERVICE, secret: 'guess' };
    const flood = await sendWithHeldSecretChecks(server, 60, () => postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, wrong));
    const checked = flood.filter((answer) => answer.status !== 429);
    expect(checked).toHaveLength(MAX_FAILURES_PER_ADDRESS);
    checked.forEach(expectInvalidClient);
    flood.filter((answer) => answer.status === 429).forEach((answer) => expectTemporarilyUnavailable(answer, FAILURE_WINDOW_SECONDS));
    // The address stays refused, for the right secret too; user-service elsewhere has its whole burst.
    expectTemporarilyUnavailable(await postTokenFrom(server.baseUrl, ATTACKER, CLIENT_CREDENTIALS, USER_SERVICE), FAILURE_WINDOW_SECONDS);
    const served = await Promise.all(Array.from({ length: 5 }, () => postTokenFrom(server.baseUrl, USER_SERVICE_HOST, CLIENT_CREDENTIALS, USER_SERVICE)));
    expect(served.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('[H03] 40 wrong secrets sent at once to introspection and revocation from one address: exactly 10 reach the check, the rest 429', async () => {
    const wrong = { ...USER_SERVICE, secret: 'guess' };
    const flood = await sendWithHeldSecretChecks(server, 40, (attempt) =>
      postTokenFrom(server.baseUrl, ATTACKER, { token: 'anything' }, wrong, attempt % 2 === 0 ? '/oauth2/introspect' : '/oauth2/revoke'),
    );
    const checked = flood.filter((answer) => answer.status !== 429);
    expect(checked).toHaveLength(MAX_FAILURES_PER_ADDRESS);
    checked.forEach(expectInvalidClient);
    flood.filter((answer) => answer.status === 429).forEach((answer) => expectTemporarilyUnavailable(answer, FAILURE_WINDOW_SECONDS));
    expect((await postTokenFrom(server.baseUrl, USER_SERVICE_HOST, { token: 'anything' }, USER_SERVICE, '/oauth2/introspect')).status).toBe(200);
  });

  it('[H03] requests of authenticated clients give their reserved point back: tokens, budget refusals, invalid_request and invalid_grant, introspections and revocations leave the address all 10 failures', async () => {
    const from = USER_SERVICE_HOST;
    // In batches no larger than the limit: a reservation is held until the client is authenticated.
    const batch = (send: () => Promise<TokenAnswer>) => Promise.all(Array.from({ length: MAX_FAILURES_PER_ADDRESS }, send));
    const tokens = await batch(() => postTokenFrom(server.baseUrl, from, CLIENT_CREDENTIALS, USER_SERVICE));
    // Five within user-service's burst, five refused by its budget after it authenticated.
    expect(tokens.filter((answer) => answer.status === 200)).toHaveLength(5);
    tokens.filter((answer) => answer.status !== 200).forEach((answer) => {
      expectTemporarilyUnavailable(answer, 1);
      expect(answer.body['error_description']).toMatch(/^too many token requests from this client/);
    });
    // Refused after authentication: an exchange of a garbage token (invalid_request, RFC 8693) by
    // the Spring client, garbage refresh tokens sent as the public demo-app (invalid_grant).
    const garbageExchange = { grant_type: TOKEN_EXCHANGE, subject_token: 'garbage', subject_token_type: ACCESS_TOKEN_TYPE };
    const garbageRefresh = { grant_type: 'refresh_token', refresh_token: 'garbage', client_id: 'demo-app' };
    const refusedGrants = await Promise.all([
      ...Array.from({ length: 5 }, () => postTokenFrom(server.baseUrl, from, garbageExchange, SPRING_CLIENT)),
      ...Array.from({ length: 5 }, () => postTokenFrom(server.baseUrl, from, garbageRefresh)),
    ]);
    expect(refusedGrants.map((answer) => [answer.status, answer.body['error']])).toEqual([
      ...Array(5).fill([400, 'invalid_request']),
      ...Array(5).fill([400, 'invalid_grant']),
    ]);
    const introspections = await batch(() => postTokenFrom(server.baseUrl, from, { token: 'anything' }, USER_SERVICE, '/oauth2/introspect'));
    expect(introspections.map((answer) => answer.body['active'])).toEqual(Array(MAX_FAILURES_PER_ADDRESS).fill(false));
    const revocations = await batch(() => postTokenFrom(server.baseUrl, from, { token: 'anything' }, USER_SERVICE, '/oauth2/revoke'));
    expect(revocations.map((answer) => answer.status)).toEqual(Array(MAX_FAILURES_PER_ADDRESS).fill(200));

    // 40 requests later, the address still has every one of its 10 failed authentications.
    const wrong = { ...USER_SERVICE, secret: 'guess' };
    for (let attempt = 0; attempt < MAX_FAILURES_PER_ADDRESS; attempt += 1) expectInvalidClient(await postTokenFrom(server.baseUrl, from, CLIENT_CREDENTIALS, wrong));
    expectTemporarilyUnavailable(await postTokenFrom(server.baseUrl, from, CLIENT_CREDENTIALS, wrong), FAILURE_WINDOW_SECONDS);
  });

  it('[H03] garbage refresh tokens sent as demo-app from one address do not lock out demo-app users elsewhere', async () => {
    const garbage = { grant_type: 'refresh_token', refresh_token: 'garbage', client_id: 'demo-app' };
    // Twenty-five at once against a burst of five: the attacker's address spends its own demo-app budget ...
    const first = await Promise.all(Array.from({ length: 25 }, () => postTokenFrom(server.baseUrl, ATTACKER, garbage)));
    expect(first.filter((answer) => answer.status === 400).map((answer) => answer.body['error'])).toEqual(Array(5).fill('invalid_grant'));
    first.filter((answer) => answer.status !== 400).forEach((answer) => expectTemporarilyUnavailable(answer, 1));
    let flooding = true;
    const flood = (async () => {
      const answers: TokenAnswer[] = [];
      while (flooding) answers.push(await postTokenFrom(server.baseUrl, ATTACKER, garbage));
      return answers;
    })();
    // ... and keeps sending while a user signs in with demo-app from elsewhere (127.0.0.1).
    try {
      const tokens = await authorizationCodeLogin({ baseUrl: server.baseUrl, username: 'alice', password: 'alice-password' });
      expect(tokens.access_token).toEqual(expect.any(String));
    } finally {
      flooding = false;
    }
    const answers = await flood;
    expect(answers.length).toBeGreaterThan(0);
    answers.forEach((answer) => expectTemporarilyUnavailable(answer, 1));
  });
});
