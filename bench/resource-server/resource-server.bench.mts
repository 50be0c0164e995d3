import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutDpop } from '../auth-server/demo-without-dpop.mts';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { load, type LoadResult } from '../lib/load.mts';
import { pinLoadGenerator, startBuiltApp, workspaceRoot, type BenchServer } from '../lib/server.mts';
import { nestWarmupSeconds, type Settings } from '../lib/settings.mts';
import { formatSpread, roundsTable, spread, type RoundFigures } from '../lib/stats.mts';
import { aliceToken } from '../user-service/chain.bench.mts';

/**
 * The resource-server figures (issues 13 and 15): what Baton's resource servers (Nest +
 * libs/resource-server) spend per request against the floor, a bare `node:http` + jose `jwtVerify`
 * server doing the same token checks and building the same body from the same data:
 * - message-service `GET /api/messages` with alice's exchanged token (aud message-service, `act`
 *   user-service, as user-service sends it); the bare peer reads the same SQLite file;
 * - user-service `GET /api/users/me` with alice's own token (aud user-service).
 * Every server is pinned to CPU 0; per pair, the rounds alternate which side goes first, and all
 * sides of a round use the same token. Reported per round: req/s, latency and each server's CPU µs
 * per request from /proc; then per pair the ratio Baton / peer, as throughput (req/s) and as the
 * throughput the CPU per request allows (peer µs / Baton µs), target ≥ 0.50 (issue 15). The CPU
 * ratio is the one to trust on a shared machine: both sides share its noise, and CPU per request
 * hardly moves with it.
 *
 * BENCH_RESOURCE_SERVER_COMPARE=<dist folder> adds the apps built in that folder (e.g. a checkout
 * of an earlier commit, `…/dist`) as a third side of each pair, started the same way: a before /
 * after in one run.
 */
export const name = 'resource-server';

const METRICS_TOKEN = `bench-${randomBytes(16).toString('hex')}`;
/**
 * The same work on both sides: the bare peer checks the signature of every request, and every round
 * sends one token, which Baton's cache of accepted tokens would check once. An earlier build
 * without that cache ignores the variable.
 */
const EVERY_SIGNATURE_CHECKED = { AUTH_VERIFIED_TOKEN_CACHE_SIZE: '0' };
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const TARGET = 0.5;

interface Measured extends LoadResult, RoundFigures {}

interface Side {
  label: string;
  server: BenchServer;
}

interface Pair {
  title: string;
  path: string;
  /** Which of the round's tokens this route takes. */
  token: 'user' | 'exchanged';
  baton: Side;
  peer: Side;
  /** The same app from BENCH_RESOURCE_SERVER_COMPARE, when set. */
  before?: Side;
}

export async function run(settings: Settings): Promise<void> {
  // BENCH_RESOURCE_SERVER_SKIP_BUILD=1 measures the apps as they are in dist/ (e.g. while another
  // change leaves a build broken for a moment).
  const build = process.env['BENCH_RESOURCE_SERVER_SKIP_BUILD'] === '1' ? { status: 0 } : spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'message-service,user-service', '--outputStyle=static'], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (build.status !== 0) throw new Error('building message-service and user-service failed');
  const compareDist = process.env['BENCH_RESOURCE_SERVER_COMPARE'] || undefined;

  const placement = pinLoadGenerator();
  // Bearer tokens on every side (the bare peer does no DPoP; bench/dpop measures its cost): the
  // exchange without a proof (demo.yaml without user-service's requireDpop) and message-service
  // taking exchanged bearer tokens (MESSAGE_SERVICE_REQUIRE_DPOP=never).
  const auth = await startBenchAuthServer(withoutDpop());
  const servers: BenchServer[] = [auth];
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-resource-server-'));
  const start = async (server: Promise<BenchServer>): Promise<BenchServer> => {
    const started = await server;
    servers.push(started);
    return started;
  };
  try {
    const messagesDatabase = join(dataDir, 'messages.sqlite');
    const messageService = (dist: string | undefined, database: string) =>
      start(
        startBuiltApp({
          app: 'message-service',
          main: dist === undefined ? undefined : join(dist, 'apps', 'message-service', 'main.js'),
          healthPath: '/health',
          env: (port) => ({
            MESSAGE_SERVICE_PORT: String(port),
            AUTH_ISSUER: auth.url,
            // A file, not :memory:, so that the bare peer can read the very rows message-service serves.
            MESSAGE_SERVICE_DATABASE: database,
            MESSAGE_SERVICE_REQUIRE_DPOP: 'never',
            ...EVERY_SIGNATURE_CHECKED,
            // As deployed by default: one request line per request (the bare peer logs nothing).
            LOG_LEVEL: 'info',
            METRICS_TOKEN,
          }),
        }),
      );
    const userService = (dist: string | undefined, messagesUrl: string) =>
      start(
        startBuiltApp({
          app: 'user-service',
          main: dist === undefined ? undefined : join(dist, 'apps', 'user-service', 'main.js'),
          healthPath: '/health',
          env: (port) => ({
            // Not production: user-service refuses the demo client secret there, and the demo auth
            // server only knows that one.
            NODE_ENV: 'test',
            USER_SERVICE_PORT: String(port),
            AUTH_ISSUER: auth.url,
            MESSAGE_SERVICE_URL: messagesUrl,
            ...EVERY_SIGNATURE_CHECKED,
            LOG_LEVEL: 'info',
            METRICS_TOKEN,
          }),
        }),
      );
    const bare = (route: 'messages' | 'me', audience: string) =>
      start(
        startBuiltApp({
          app: `bare-resource-server-${route}`,
          main: join(workspaceRoot, 'bench', 'resource-server', 'bare-resource-server.mts'),
          healthPath: '/health',
          env: (port) => ({
            BARE_PORT: String(port),
            BARE_ISSUER: auth.url,
            BARE_AUDIENCE: audience,
            BARE_ROUTE: route,
            BARE_DATABASE: peerDatabase,
          }),
        }),
      );

    const messages = await messageService(undefined, messagesDatabase);
    // The peer reads a copy of message-service's file (database and write-ahead log: the same rows,
    // checked below by comparing the answers). Sharing one file between processes costs SQLite a
    // lock round per read that a service alone on its file never pays.
    const peerDatabase = join(dataDir, 'messages-peer.sqlite');
    for (const suffix of ['', '-wal']) {
      if (existsSync(`${messagesDatabase}${suffix}`)) copyFileSync(`${messagesDatabase}${suffix}`, `${peerDatabase}${suffix}`);
    }
    const users = await userService(undefined, messages.url);
    const pairs: Pair[] = [
      {
        title: 'message-service GET /api/messages',
        path: '/api/messages',
        token: 'exchanged',
        baton: { label: 'message-service (Nest, libs/resource-server)', server: messages },
        peer: { label: 'bare node:http + jose + node:sqlite', server: await bare('messages', 'message-service') },
      },
      {
        title: 'user-service GET /api/users/me',
        path: '/api/users/me',
        token: 'user',
        baton: { label: 'user-service (Nest, libs/resource-server)', server: users },
        peer: { label: 'bare node:http + jose', server: await bare('me', 'user-service') },
      },
    ];
    if (compareDist !== undefined) {
      // Its own file, alone on it like the current one (the same demo messages, other ids).
      const earlierMessages = await messageService(compareDist, join(dataDir, 'messages-before.sqlite'));
      pairs[0].before = { label: `message-service from ${compareDist}`, server: earlierMessages };
      pairs[1].before = { label: `user-service from ${compareDist}`, server: await userService(compareDist, earlierMessages.url) };
    }

    // Both sides of a pair must answer the same bytes, or the comparison means nothing.
    const firstTokens = await roundTokens(auth.url);
    for (const pair of pairs) {
      const token = firstTokens[pair.token];
      const [baton, peer] = await Promise.all([pair.baton, pair.peer].map((side) => body(side, pair.path, token)));
      if (baton !== peer) throw new Error(`${pair.title}: the bare peer answers other bytes than Baton:\n${baton}\n${peer}`);
    }

    log(
      `resource-server benchmark: ${settings.rounds} rounds x ${settings.durationSeconds}s per scenario; every server ` +
        `${messages.pinned}, ${placement}; autocannon, ${settings.connections} connections, loopback`,
    );
    log(`machine: ${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    const measure = async (side: Side, path: string, token: string, durationSeconds: number): Promise<Measured> => {
      const before = side.server.cpuSeconds();
      const result = await load(
        { url: `${side.server.url}${path}`, headers: { authorization: `Bearer ${token}` } },
        { connections: settings.connections, durationSeconds },
      );
      const after = side.server.cpuSeconds();
      const cpuMicrosPerRequest =
        before === undefined || after === undefined || result.total === 0 ? undefined : ((after - before) * 1e6) / result.total;
      assertNoFailure(side.label, result);
      return { ...result, cpuMicrosPerRequest };
    };
    const sidesOf = (pair: Pair): Side[] => [pair.baton, pair.peer, ...(pair.before ? [pair.before] : [])];

    const warmupSeconds = nestWarmupSeconds(settings);
    log(`warm-up: ${warmupSeconds}s per side, not measured`);
    for (const pair of pairs) {
      for (const side of sidesOf(pair)) await measure(side, pair.path, firstTokens[pair.token], warmupSeconds);
    }

    const results = new Map<Pair, Map<string, Measured[]>>(
      pairs.map((pair) => [pair, new Map(sidesOf(pair).map((side) => [side.label, []]))]),
    );
    for (let round = 1; round <= settings.rounds; round += 1) {
      // Fresh tokens per round: the demo's tokens live minutes, a run may take longer.
      const tokens = round === 1 ? firstTokens : await roundTokens(auth.url);
      for (const pair of pairs) {
        const sides = sidesOf(pair);
        const measured = new Map<Side, Measured>();
        for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
          const result = await measure(side, pair.path, tokens[pair.token], settings.durationSeconds);
          measured.set(side, result);
          log(
            `  round ${round} ${side.label.padEnd(48)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s` +
              `  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  CPU µs/request ${formatCpu(result.cpuMicrosPerRequest)}`,
          );
        }
        // A side that got no answer at all (a drowned machine) has no figures: the pair's round is left out.
        if ([...measured.values()].some((result) => result.total === 0)) {
          log(`  round ${round} of ${pair.title} left out: a side got no answer in ${settings.durationSeconds}s`);
          continue;
        }
        for (const side of sides) results.get(pair)?.get(side.label)?.push(measured.get(side) as Measured);
      }
    }

    log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine moves absolute figures)`);
    for (const pair of pairs) {
      const byLabel = results.get(pair) ?? new Map<string, Measured[]>();
      log('');
      if ((byLabel.get(pair.baton.label) ?? []).length === 0) {
        log(`${pair.title}: no round with answers on every side`);
        continue;
      }
      for (const line of roundsTable(pair.title, 'server CPU µs/request', byLabel)) log(line);
      const compared = [pair.baton, ...(pair.before ? [pair.before] : [])];
      for (const side of compared) {
        const ours = byLabel.get(side.label) ?? [];
        const peer = byLabel.get(pair.peer.label) ?? [];
        const throughput = ours.map((result, index) => result.requestsPerSecond / peer[index].requestsPerSecond);
        log(`${side.label} / peer, req/s per round: ${list(throughput)}; min / median / max ${formatSpread(spread(throughput), 2)}`);
        const cpu = ours.flatMap((result, index) => {
          const peerMicros = peer[index].cpuMicrosPerRequest;
          return result.cpuMicrosPerRequest === undefined || peerMicros === undefined ? [] : [peerMicros / result.cpuMicrosPerRequest];
        });
        if (cpu.length > 0) {
          const median = spread(cpu).median;
          log(
            `${side.label} / peer, throughput per CPU (peer µs / ours) per round: ${list(cpu)}; ` +
              `min / median / max ${formatSpread(spread(cpu), 2)} (target ≥ ${TARGET.toFixed(2)}: ${median >= TARGET ? 'met' : 'not met'})`,
          );
        }
      }
    }
  } finally {
    for (const server of servers.reverse()) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A round's tokens: alice's own for user-service, and that one exchanged for message-service. */
async function roundTokens(authUrl: string): Promise<Record<Pair['token'], string>> {
  const user = await aliceToken(authUrl);
  return { user, exchanged: await exchangedToken(authUrl, user) };
}

/** alice's token exchanged by user-service for message-service, as user-service would send it. */
async function exchangedToken(authUrl: string, subjectToken: string): Promise<string> {
  const response = await fetch(`${authUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      audience: 'message-service',
      scope: 'message.read',
    }),
  });
  const answer = (await response.json()) as { access_token?: string; error?: string };
  if (!response.ok || answer.access_token === undefined) throw new Error(`the exchange answered ${response.status} ${answer.error ?? ''}`);
  return answer.access_token;
}

async function body(side: Side, path: string, token: string): Promise<string> {
  const response = await fetch(`${side.server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`${side.label} answered ${response.status} to ${path}`);
  return response.text();
}

function assertNoFailure(label: string, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${label}: ${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.total}`);
  }
}

function list(values: readonly number[]): string {
  return values.map((value) => value.toFixed(2)).join(', ');
}

function formatCpu(micros: number | undefined): string {
  return micros === undefined ? 'n/a' : micros.toFixed(0);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
