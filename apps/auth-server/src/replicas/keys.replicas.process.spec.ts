import { AuthServerReplicas, CookieJar, startAuthServer, startAuthServerReplicas, TestPostgres, workspaceRoot } from '@baton/testing';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, JSONWebKeySet, jwtVerify } from 'jose';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { authorizeForCode, exchangeForMessageService, postForm } from './test-support/oidc-state.browser';

jest.setTimeout(240_000);

const ALICE = { username: 'alice', password: 'alice-password' };
const USER_SERVICE_BASIC = `Basic ${Buffer.from('user-service:secret').toString('base64')}`;
const run = promisify(execFile);

/**
 * The signing keys and cookie secrets two real auth-server processes share through PostgreSQL
 * (no AUTH_SERVER_KEYS_FILE, no AUTH_SERVER_COOKIE_SECRETS: only the database and the key
 * encryption key): one JWKS, tokens of one verified with the other's keys, sessions and forms of
 * one accepted by the other, and `rotate-keys` (the built command, a separate process) followed
 * by both without a restart, with no failed request and no token failing verification under load.
 */
describe('signing keys and cookie secrets shared by two auth-server replicas on PostgreSQL (process)', () => {
  let postgres: TestPostgres;
  let auth: AuthServerReplicas;

  beforeAll(async () => {
    postgres = await TestPostgres.start();
    // No per-client token budget: the load below is one client sending as fast as it can.
    auth = await startAuthServerReplicas({ databaseUrl: await postgres.createDatabase(), env: { AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '0' } });
  });

  afterAll(async () => {
    await auth?.stop();
    await postgres?.stop();
  });

  const replica = (index: number): string => auth.replicas[index]?.issuer as string;
  const jwksOf = async (baseUrl: string): Promise<JSONWebKeySet> => (await (await fetch(`${baseUrl}/oauth2/jwks`)).json()) as JSONWebKeySet;
  const kidsOf = async (baseUrl: string): Promise<string[]> => (await jwksOf(baseUrl)).keys.map((key) => String(key.kid));

  /** A client_credentials access token of user-service, from the auth server at `baseUrl`. */
  async function clientCredentials(baseUrl: string): Promise<string> {
    const reply = await postForm(baseUrl, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE_BASIC);
    if (reply.status !== 200) throw new Error(`client_credentials at ${baseUrl}: ${reply.status} ${String(reply.body['error'])}`);
    return String(reply.body['access_token']);
  }

  /** `node dist/apps/auth-server/rotate-keys.js` with the replicas' database and key encryption key. */
  async function rotateKeys(activationDelaySeconds: number): Promise<{ kid: string; stdout: string }> {
    const { stdout } = await run(process.execPath, [join(workspaceRoot(), 'dist', 'apps', 'auth-server', 'rotate-keys.js'), `--activation-delay=${activationDelaySeconds}`], {
      cwd: workspaceRoot(),
      env: {
        PATH: process.env['PATH'] ?? '',
        LOG_LEVEL: 'warn',
        AUTH_SERVER_DATABASE_URL: auth.databaseUrl,
        AUTH_SERVER_KEY_ENCRYPTION_KEY: auth.keyEncryptionKey,
        AUTH_SERVER_CONFIG_FILE: join(workspaceRoot(), 'apps', 'auth-server', 'config', 'demo.yaml'),
      },
    });
    const kid = /new ES256 key (\S+): published now/.exec(stdout)?.[1];
    if (kid === undefined) throw new Error(`rotate-keys said:\n${stdout}`);
    return { kid, stdout };
  }

  /** Polls until `condition` holds (or fails after `timeoutMs`). */
  async function eventually(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Date.now() - started;
  }

  it('publishes one JWKS at both replicas, generated once in the database', async () => {
    const [a, b] = await Promise.all([jwksOf(replica(0)), jwksOf(replica(1))]);
    expect(a.keys).toHaveLength(1);
    expect(b).toEqual(a);
    expect(a.keys[0]).not.toHaveProperty('d');
    const stored = await postgres.query<{ kid: string }>('SELECT kid FROM auth_server_signing_keys', [], new URL(auth.databaseUrl).pathname.slice(1));
    expect(stored.map((row) => row.kid)).toEqual([a.keys[0]?.kid]);
  });

  it("verifies a token signed by A with B's JWKS, and B exchanges a token issued by A", async () => {
    const fromA = await clientCredentials(replica(0));
    const verified = await jwtVerify(fromA, createLocalJWKSet(await jwksOf(replica(1))), { issuer: auth.issuer, audience: 'user-service', typ: 'at+jwt' });
    expect(verified.payload['client_id']).toBe('user-service');

    const exchanged = await exchangeForMessageService(replica(1), fromA);
    expect(exchanged.status).toBe(200);
    const token = String(exchanged.body['access_token']);
    const checked = await jwtVerify(token, createLocalJWKSet(await jwksOf(replica(0))), { issuer: auth.issuer, audience: 'message-service', typ: 'at+jwt' });
    expect(checked.payload['act']).toEqual({ sub: 'user-service' });
  });

  it("accepts at B the session cookie A set (no second sign-in), and the sign-in form A served posted to B (CSRF token of the shared secret)", async () => {
    const jar = new CookieJar();
    auth.balancer.pin(0);
    const atA = await authorizeForCode(auth.issuer, jar, ALICE);
    expect(atA.pages).toEqual(['login', 'consent']);
    auth.balancer.pin(1);
    const atB = await authorizeForCode(auth.issuer, jar, ALICE);
    expect(atB.pages).not.toContain('login');
    expect(new Set(atB.replicas)).toEqual(new Set(['1']));

    // The login form as A serves it, then posted through the balancer to B.
    const fresh = new CookieJar();
    auth.balancer.pin(0);
    const form = await loginFormOf(auth.issuer, fresh);
    auth.balancer.pin(1);
    const posted = await fetch(form.action, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: fresh.header(form.action) ?? '', 'content-type': 'application/x-www-form-urlencoded', origin: form.action.origin },
      body: new URLSearchParams({ csrf: form.csrf, ...ALICE }),
    });
    expect(posted.headers.get('x-baton-replica')).toBe('1');
    expect(posted.status).toBe(303);
    auth.balancer.roundRobin();
  });

  it('rotate-keys (the built command) rotates both replicas without a restart: the new key is published at once and signs after the delay', async () => {
    const before = await kidsOf(replica(0));
    const pids = auth.replicas.map((harness) => harness.process.child.pid);
    const rotation = await rotateKeys(4);
    expect(rotation.stdout).toContain('rotated the signing keys in the database postgres://');
    expect(rotation.stdout).not.toContain(auth.keyEncryptionKey);
    expect(rotation.stdout).not.toContain(new URL(auth.databaseUrl).password);
    expect(rotation.stdout).toMatch(/previous key \S+: signs until then/);
    const rotatedAt = Date.now();

    const published = await eventually(async () => (await Promise.all([0, 1].map(async (index) => (await kidsOf(replica(index))).includes(rotation.kid)))).every(Boolean), 5_000);
    expect((await kidsOf(replica(0))).sort()).toEqual([...before, rotation.kid].sort());
    expect(await kidsOf(replica(1))).toEqual(await kidsOf(replica(0)));
    // Published before it signs: a token issued now is still signed by the old key.
    if (Date.now() - rotatedAt < 3_000) expect(decodeProtectedHeader(await clientCredentials(replica(1))).kid).toBe(before[0]);

    const signing = await eventually(async () => {
      const kids = await Promise.all([0, 1].map(async (index) => decodeProtectedHeader(await clientCredentials(replica(index))).kid));
      return kids.every((kid) => kid === rotation.kid);
    }, 10_000);
    expect(auth.replicas.map((harness) => harness.process.child.pid)).toEqual(pids);
    process.stdout.write(`rotate-keys: new key published at both replicas within ${published} ms, signing at both ${signing} ms after that\n`);
  });

  it('refuses to start a third replica given another key encryption key: one line, no stack, no key', async () => {
    const wrongKey = randomBytes(32).toString('base64url');
    const attempt = startAuthServer({
      env: { AUTH_SERVER_ISSUER: auth.issuer, AUTH_SERVER_DATABASE_URL: auth.databaseUrl, AUTH_SERVER_KEY_ENCRYPTION_KEY: wrongKey },
    });
    const output = await attempt.then(
      async (started) => {
        await started.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(output).toContain('exited with 1 before it was healthy');
    expect(output).toContain('Invalid keys: cannot decrypt the signing keys: wrong AUTH_SERVER_KEY_ENCRYPTION_KEY?\n');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain(wrongKey);
    expect(output).not.toContain(auth.keyEncryptionKey);
  });

  it('rotation under load through the balancer: zero failed requests, zero tokens failing verification', async () => {
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/oauth2/jwks`), { cooldownDuration: 2_000 });
    const counts = { clientCredentials: 0, exchanges: 0, failedRequests: 0, verified: 0, failedVerifications: 0 };
    const signedBy = new Map<string, number>();
    const failures: string[] = [];
    let running = true;

    async function verify(token: string, audience: string): Promise<void> {
      try {
        await jwtVerify(token, jwks, { issuer: auth.issuer, audience, typ: 'at+jwt' });
        counts.verified += 1;
        const kid = String(decodeProtectedHeader(token).kid);
        signedBy.set(kid, (signedBy.get(kid) ?? 0) + 1);
      } catch (error) {
        counts.failedVerifications += 1;
        failures.push(`verification: ${(error as Error).message}`);
      }
    }

    async function worker(): Promise<void> {
      while (running) {
        const issued = await postForm(auth.issuer, '/oauth2/token', { grant_type: 'client_credentials' }, USER_SERVICE_BASIC).catch((error: Error) => error);
        counts.clientCredentials += 1;
        if (issued instanceof Error || issued.status !== 200) {
          counts.failedRequests += 1;
          failures.push(`client_credentials: ${issued instanceof Error ? issued.message : issued.status}`);
          continue;
        }
        const subject = String(issued.body['access_token']);
        await verify(subject, 'user-service');
        const exchanged = await exchangeForMessageService(auth.issuer, subject).catch((error: Error) => error);
        counts.exchanges += 1;
        if (exchanged instanceof Error || exchanged.status !== 200) {
          counts.failedRequests += 1;
          failures.push(`exchange: ${exchanged instanceof Error ? exchanged.message : `${exchanged.status} ${String(exchanged.body['error'])}`}`);
          continue;
        }
        await verify(String(exchanged.body['access_token']), 'message-service');
      }
    }

    const workers = Array.from({ length: 4 }, () => worker());
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const rotation = await rotateKeys(5);
    // Past the activation (5 s) and every replica's next check, then a while on the new key.
    await new Promise((resolve) => setTimeout(resolve, 9_000));
    running = false;
    await Promise.all(workers);

    process.stdout.write(
      `rotation under load: ${counts.clientCredentials} client_credentials, ${counts.exchanges} exchanges, ${counts.failedRequests} failed; ` +
        `${counts.verified} tokens verified, ${counts.failedVerifications} failed verification; signed by ${JSON.stringify(Object.fromEntries(signedBy))}\n`,
    );
    expect(failures.slice(0, 5)).toEqual([]);
    expect(counts.failedRequests).toBe(0);
    expect(counts.failedVerifications).toBe(0);
    expect(counts.exchanges).toBeGreaterThan(50);
    expect(signedBy.get(rotation.kid) ?? 0).toBeGreaterThan(0);
    expect(signedBy.size).toBeGreaterThanOrEqual(2);
  });
});

/** GETs demo-app's authorization request through `issuer` up to the login form: its action and CSRF token. */
async function loginFormOf(issuer: string, jar: CookieJar): Promise<{ action: URL; csrf: string }> {
  let url = new URL('/oauth2/authorize', issuer);
  url.search = new URLSearchParams({
    client_id: 'demo-app',
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1:7/callback',
    scope: 'openid user.read',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  for (let step = 0; step < 5; step += 1) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) ?? '' } });
    jar.store(response);
    const location = response.headers.get('location');
    if (location !== null) {
      url = new URL(location, url);
      continue;
    }
    const page = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (action === undefined || csrf === undefined) throw new Error(`no login form at ${url.pathname} (${response.status})`);
    return { action: new URL(action.replaceAll('&amp;', '&'), url), csrf };
  }
  throw new Error('no login form within 5 steps');
}
