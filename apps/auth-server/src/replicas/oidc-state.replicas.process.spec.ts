import { AuthServerReplicas, CookieJar, startAuthServerReplicas, TestPostgres } from '@baton/testing';
import { authorizeForCode, exchangeForMessageService, FormReply, redeemCode, refresh, revokeRefreshToken } from './test-support/oidc-state.browser';

jest.setTimeout(180_000);

const ALICE = { username: 'alice', password: 'alice-password' };
/** What the single-process test of issue 11 (H06) expects when a revoked grant's token is exchanged. */
const REVOKED = { error: 'invalid_request', error_description: "the subject token's grant was revoked" };
const ROUNDS = 5;

/**
 * oidc-provider's state shared by two real auth-server processes on one PostgreSQL database,
 * behind one balancer (their issuer): codes and refresh tokens are redeemed once whatever replica
 * they reach, sessions and consent carry over, and a grant revoked at one is revoked at the other.
 * The concurrent cases send the two requests at once, straight to each replica.
 */
describe('oidc-provider state across two auth-server replicas on PostgreSQL (process)', () => {
  let postgres: TestPostgres;
  let auth: AuthServerReplicas;

  // The default replicated configuration: signing keys and cookie secrets come from the database too.
  beforeAll(async () => {
    postgres = await TestPostgres.start();
    auth = await startAuthServerReplicas({ databaseUrl: await postgres.createDatabase() });
  });

  afterAll(async () => {
    await auth?.stop();
    await postgres?.stop();
  });

  const [a, b] = [0, 1].map((index) => () => auth.replicas[index]?.issuer as string);

  /** alice signs in through the balancer (replica A) and redeems her code there. */
  async function aliceTokens(): Promise<{ accessToken: string; refreshToken: string }> {
    auth.balancer.pin(0);
    const issued = await authorizeForCode(auth.issuer, new CookieJar(), ALICE);
    const redeemed = await redeemCode(a(), issued);
    expect(redeemed.status).toBe(200);
    return { accessToken: String(redeemed.body['access_token']), refreshToken: String(redeemed.body['refresh_token']) };
  }

  /** The two answers, the 200 first. */
  const winnerFirst = (replies: FormReply[]): FormReply[] => [...replies].sort((x, y) => x.status - y.status);

  it('(a) one authorization code redeemed at both replicas at once: exactly one 200 with tokens, the other 400 invalid_grant, and the grant is revoked', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      auth.balancer.pin(round % 2);
      const issued = await authorizeForCode(auth.issuer, new CookieJar(), ALICE);
      const [won, lost] = winnerFirst(await Promise.all([redeemCode(a(), issued), redeemCode(b(), issued)]));
      expect([won?.status, lost?.status]).toEqual([200, 400]);
      expect(typeof won?.body['access_token']).toBe('string');
      expect(lost?.body['error']).toBe('invalid_grant');
      expect(lost?.body).not.toHaveProperty('access_token');
      expect(lost?.headers.get('cache-control')).toBe('no-store');
      // A code used twice: its grant is revoked (RFC 6749 §4.1.2), so the winner's refresh token is refused too.
      const afterwards = await refresh(round % 2 === 0 ? b() : a(), String(won?.body['refresh_token']));
      expect([afterwards.status, afterwards.body['error']]).toEqual([400, 'invalid_grant']);
    }
  });

  it('(b) one refresh token rotated at both replicas at once: exactly one new refresh token; reuse of a rotated one is refused and revokes the grant', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { refreshToken } = await aliceTokens();
      const [won, lost] = winnerFirst(await Promise.all([refresh(a(), refreshToken), refresh(b(), refreshToken)]));
      expect([won?.status, lost?.status]).toEqual([200, 400]);
      expect(lost?.body['error']).toBe('invalid_grant');
      expect(lost?.body).not.toHaveProperty('refresh_token');
      const rotated = String(won?.body['refresh_token']);
      expect(rotated).not.toBe(refreshToken);
      // The old one again, at either replica: refused, and the new one with it.
      expect((await refresh(b(), refreshToken)).body['error']).toBe('invalid_grant');
      expect((await refresh(a(), rotated)).body['error']).toBe('invalid_grant');
    }
  });

  it('(b) reuse detection across replicas: rotated at A, the old token presented at B is refused and the grant revoked at A too', async () => {
    const { refreshToken, accessToken } = await aliceTokens();
    const rotated = await refresh(a(), refreshToken);
    expect(rotated.status).toBe(200);
    const reuse = await refresh(b(), refreshToken);
    expect([reuse.status, reuse.body['error']]).toEqual([400, 'invalid_grant']);
    const next = await refresh(a(), String(rotated.body['refresh_token']));
    expect([next.status, next.body['error']]).toEqual([400, 'invalid_grant']);
    expect((await exchangeForMessageService(a(), accessToken)).body).toEqual(REVOKED);
  });

  it('(c) a user who signs in through A (login and consent) continues at B: no login page, a code, and refresh at B works', async () => {
    const jar = new CookieJar();
    auth.balancer.pin(0);
    const atA = await authorizeForCode(auth.issuer, jar, ALICE);
    expect(atA.pages).toEqual(['login', 'consent']);
    expect(new Set(atA.replicas)).toEqual(new Set(['0']));
    expect((await redeemCode(auth.issuer, atA)).status).toBe(200);
    // What a second authorization request shows at the same replica (this server asks consent for
    // every new authorization request, one process or two): B must show the same, no login.
    const againAtA = await authorizeForCode(auth.issuer, jar, ALICE);
    expect(againAtA.pages).not.toContain('login');
    expect((await redeemCode(auth.issuer, againAtA)).status).toBe(200);

    auth.balancer.pin(1);
    const atB = await authorizeForCode(auth.issuer, jar, ALICE);
    expect(atB.pages).toEqual(againAtA.pages);
    expect(new Set(atB.replicas)).toEqual(new Set(['1']));
    const tokens = await redeemCode(auth.issuer, atB);
    expect(tokens.status).toBe(200);
    expect(tokens.headers.get('x-baton-replica')).toBe('1');
    const refreshed = await refresh(auth.issuer, String(tokens.body['refresh_token']));
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('x-baton-replica')).toBe('1');
    expect(typeof refreshed.body['access_token']).toBe('string');
  });

  it('(d) a grant revoked at A (RFC 7009 revocation of its refresh token) is refused for exchange at B', async () => {
    const { accessToken, refreshToken } = await aliceTokens();
    expect((await exchangeForMessageService(b(), accessToken)).status).toBe(200);
    const revoked = await revokeRefreshToken(a(), refreshToken);
    expect(revoked.status).toBe(200);
    const refused = await exchangeForMessageService(b(), accessToken);
    expect([refused.status, refused.body]).toEqual([400, REVOKED]);
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  it('(d) a grant revoked at A by a code replay is refused for exchange at B', async () => {
    auth.balancer.pin(0);
    const issued = await authorizeForCode(auth.issuer, new CookieJar(), ALICE);
    const tokens = await redeemCode(a(), issued);
    expect(tokens.status).toBe(200);
    const accessToken = String(tokens.body['access_token']);
    expect((await exchangeForMessageService(b(), accessToken)).status).toBe(200);
    expect((await redeemCode(a(), issued)).body['error']).toBe('invalid_grant');
    expect((await exchangeForMessageService(b(), accessToken)).body).toEqual(REVOKED);
  });
});

