import { CookieJar, TestPostgres } from '@baton/testing';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { InProcessAuthServer, startInProcess } from '../../test/support/in-process-auth-server';
import { OidcStorage } from '../persistence/oidc-storage';
import { PostgresOidcStore } from '../persistence/postgres-oidc-store';
import { authorizeForCode, IssuedCode, exchangeForMessageService, postForm, redeemCode, refresh } from './test-support/oidc-state.browser';

jest.setTimeout(120_000);

interface Cost {
  /** Statements oidc-provider's storage sent (PostgresOidcStore): reads and writes. */
  reads: number;
  writes: number;
  /** Every statement the process sent to PostgreSQL (abuse limits and keys included; BEGIN/COMMIT count). */
  all: number;
}

/**
 * What one sign-in, refresh, client_credentials token and token exchange cost the database in the
 * replicated mode (for docs/scaling.md): statements counted at the driver, warm (the second of two
 * runs). The bounds fail the test when a change makes a flow talk to the database much more.
 */
describe('database statements per flow on PostgreSQL', () => {
  let postgres: TestPostgres;
  let server: InProcessAuthServer;
  let store: PostgresOidcStore;
  let sent = 0;

  beforeAll(async () => {
    postgres = await TestPostgres.start();
    server = await startInProcess({
      AUTH_SERVER_DATABASE_URL: await postgres.createDatabase(),
      AUTH_SERVER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    });
    const storage = server.app.get(OidcStorage);
    if (!(storage instanceof PostgresOidcStore)) throw new Error('not on PostgreSQL');
    store = storage;
    const query = Client.prototype.query;
    jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      sent += 1;
      return (query as (...parameters: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await server?.close();
    await postgres?.stop();
  });

  /** The cost of the second of two runs of `flow` (warm); `prepare` runs before each, uncounted. */
  async function cost(flow: () => Promise<unknown>, prepare?: () => Promise<unknown>): Promise<Cost> {
    await prepare?.();
    await flow();
    await prepare?.();
    const { read, write } = store.statements;
    const allBefore = sent;
    await flow();
    return { reads: store.statements.read - read, writes: store.statements.write - write, all: sent - allBefore };
  }

  it('counts statements per sign-in, refresh, client_credentials and token exchange', async () => {
    const alice = { username: 'alice', password: 'alice-password' };
    const userService = `Basic ${Buffer.from('user-service:secret').toString('base64')}`;
    const ok = <R extends { status: number }>(reply: R): R => {
      expect(reply.status).toBe(200);
      return reply;
    };

    let refreshToken = '';
    let accessToken = '';
    let issued: IssuedCode | undefined;
    const signIn = await cost(async () => {
      issued = await authorizeForCode(server.baseUrl, new CookieJar(), alice);
    });
    const codeExchange = await cost(async () => {
      if (issued === undefined) throw new Error('no code');
      const tokens = ok(await redeemCode(server.baseUrl, issued));
      issued = undefined;
      refreshToken = String(tokens.body['refresh_token']);
      accessToken = String(tokens.body['access_token']);
    }, async () => {
      issued = await authorizeForCode(server.baseUrl, new CookieJar(), alice);
    });
    const refreshCost = await cost(async () => {
      refreshToken = String(ok(await refresh(server.baseUrl, refreshToken)).body['refresh_token']);
    });
    const clientCredentials = await cost(async () => ok(await postForm(server.baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, userService)));
    const exchange = await cost(async () => ok(await exchangeForMessageService(server.baseUrl, accessToken)));

    const show = (name: string, { reads, writes, all }: Cost) => `${name}: ${reads} reads + ${writes} writes (all of the process: ${all})`;
    process.stdout.write(
      `database statements per flow, oidc storage: ${[
        show('sign-in (authorize, login, consent, up to the code)', signIn),
        show('code exchange', codeExchange),
        show('refresh', refreshCost),
        show('client_credentials', clientCredentials),
        show('token exchange', exchange),
      ].join('; ')}\n`,
    );
    const oidc = ({ reads, writes }: Cost) => reads + writes;
    expect(oidc(signIn) + oidc(codeExchange)).toBeGreaterThan(5);
    expect(oidc(signIn) + oidc(codeExchange)).toBeLessThanOrEqual(40);
    // A code is read, consumed, and leaves a refresh token: at least three statements.
    expect(oidc(codeExchange)).toBeGreaterThanOrEqual(3);
    expect(oidc(refreshCost)).toBeGreaterThanOrEqual(3);
    expect(oidc(refreshCost)).toBeLessThanOrEqual(8);
    // JWT access tokens are not stored: a client_credentials token needs no oidc state at all.
    expect(oidc(clientCredentials)).toBe(0);
    // The exchange reads the subject's grant (revoked or not), and records its DPoP proof's jti (the
    // demo's user-service must send a proof): ReplayDetection read, written, and consumed at once.
    expect(exchange).toMatchObject({ reads: 2, writes: 2 });
    expect(signIn.all).toBeGreaterThanOrEqual(oidc(signIn));
  });
});
