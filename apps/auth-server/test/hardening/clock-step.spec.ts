import { InProcessAuthServer, postToken, startInProcess } from '../support/in-process-auth-server';
import { stopMonotonicClock, StoppedClock } from './support/monotonic-clock';
import { postTokenFrom } from './support/post-token-from';
import { openSignInPage } from './support/sign-in-page';

jest.setTimeout(60_000);

const TEN_MINUTES_MS = 10 * 60 * 1000;
const WINDOW_SECONDS = 60;
const USER_SERVICE = { id: 'user-service', secret: 'secret' };

/**
 * The fault of issue 11 item 4 (auth server part): the wall clock steps back 10 minutes (an NTP
 * step, a VM resumed). The server runs in this process, so moving `Date.now` moves its wall clock;
 * its monotonic clock is stopped and moved by the test, so windows end when the test says.
 */
describe('abuse limits across a wall-clock step', () => {
  let server: InProcessAuthServer;
  let clock: StoppedClock;

  beforeEach(async () => {
    clock = stopMonotonicClock();
    server = await startInProcess({
      AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER: '3',
      AUTH_SERVER_LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      AUTH_SERVER_CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: '2',
      AUTH_SERVER_CLIENT_AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '1',
      AUTH_SERVER_TOKEN_BURST_PER_CLIENT: '5',
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await server.close();
  });

  function stepWallClockBack(): void {
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() - TEN_MINUTES_MS);
  }

  it('[H04] after a 10-minute step back, clients still get tokens (no 429)', async () => {
    expect((await postToken(server.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE)).status).toBe(200);
    stepWallClockBack();
    // Four more within the burst of five: the wall clock's step back must not take them away.
    const after = await Promise.all(Array.from({ length: 4 }, () => postToken(server.baseUrl, { grant_type: 'client_credentials' }, USER_SERVICE)));
    expect(after.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
  });

  it('[H04] a refused sign-in keeps its Retry-After within the window across a step back, and the window ends on time', async () => {
    const signIn = async (username: string, password: string) => {
      const page = await openSignInPage(server.baseUrl);
      return page.post('login', [['csrf', page.csrf], ['username', username], ['password', password]]);
    };
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await signIn('alice', 'guess')).status).toBe(401);
    stepWallClockBack();
    const refused = await signIn('alice', 'alice-password');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_SECONDS);
    // Other users are not affected by the step.
    expect((await signIn('bob', 'bob-password')).status).toBe(303);
    clock.advance(WINDOW_SECONDS * 1000);
    expect((await signIn('alice', 'alice-password')).status).toBe(303);
  });

  it('[H04] a refused client address keeps its Retry-After within the window across a step back, and the window ends on time', async () => {
    const wrong = { ...USER_SERVICE, secret: 'guess' };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await postTokenFrom(server.baseUrl, '127.0.0.2', { grant_type: 'client_credentials' }, wrong)).status).toBe(401);
    }
    stepWallClockBack();
    const refused = await postTokenFrom(server.baseUrl, '127.0.0.2', { grant_type: 'client_credentials' }, USER_SERVICE);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_SECONDS);
    clock.advance(WINDOW_SECONDS * 1000);
    expect((await postTokenFrom(server.baseUrl, '127.0.0.2', { grant_type: 'client_credentials' }, USER_SERVICE)).status).toBe(200);
  });
});
