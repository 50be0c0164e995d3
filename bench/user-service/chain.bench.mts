import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { load, type LoadResult } from '../lib/load.mts';
import { pinLoadGenerator, startBuiltApp, workspaceRoot, type BenchServer } from '../lib/server.mts';
import type { Settings } from '../lib/settings.mts';
import { withoutDpop } from '../auth-server/demo-without-dpop.mts';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { formatSpread, roundsTable, spread } from '../lib/stats.mts';
import { runTypeScript } from '../lib/typescript.mts';
import { runChainAgainstBaseline, runTransportComparison } from './against-baseline.mts';

/**
 * user-service's benchmark (issue 5), all in one run on the built apps (servers pinned to CPU 0,
 * the load generator and the micro-benchmark off it):
 * 1. `GET /api/users/messages` through the whole chain with alice's token, alternating rounds of
 *    (a) a user-service whose exchange cache is on and (b) one with it off (an exchange per call),
 *    and the ratio (a)/(b) per round;
 * 2. an in-process micro-benchmark of `TokenExchangeService.exchange()` on a warm cache;
 * 3. cold start: a fresh user-service, 100 concurrent first calls by one user, and the number of
 *    exchanges the auth server saw (its audit lines).
 * 4. (issue 15) the same chain, cache warm, of today's build against an earlier one (BENCH_BASELINE,
 *    else /work/baseline/dist when it exists), alternating rounds: CPU µs/request at user-service
 *    and at message-service, req/s, idle and peak RSS, the ratio current/baseline;
 * 5. (issue 15) the downstream-call micro comparison: axios against node:http and fetch.
 * Targets (issue 5): warm exchange() under 5 µs (>= 200,000/s on one core); (a)/(b) >= 1.5; the
 * cold start makes exactly 1 exchange. Issue 15: current/baseline >= 1.5; idle RSS <= 120 MiB.
 */
export const name = 'user-service';

const COLD_START_CALLERS = 100;
/** Production mode requires a metrics token; nothing reads /metrics here. */
const METRICS_TOKEN = `bench-${randomBytes(16).toString('hex')}`;

interface Measured extends LoadResult {
  /** CPU time of all three servers per answered request, in µs. */
  cpuMicrosPerRequest: number | undefined;
  /** The same, per server: auth-server, message-service, user-service. */
  cpuMicrosPerServer: (number | undefined)[];
}

export async function run(settings: Settings): Promise<void> {
  // `npm run bench` builds the auth server; this suite needs the other two as well (Nx cache makes
  // this quick when nothing changed).
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'user-service,message-service', '--outputStyle=static'], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (build.status !== 0) throw new Error('building user-service and message-service failed');

  const placement = pinLoadGenerator();
  // The benchmarks' auth server: LOG_LEVEL=info writes one audit line per exchange, which the cold
  // start counts; no per-client rate limit, which would cap the cache-off runs.
  // user-service runs with DPoP as deployed (its default: a proof on every exchange and every call
  // to message-service, which verifies them). The auth server does not *require* the proof here
  // (demo.yaml without user-service's requireDpop) so that an earlier build's user-service (the
  // baseline of part 4, possibly from before DPoP) can still exchange; today's sends one anyway.
  const auth = await startBenchAuthServer(withoutDpop());
  const servers: BenchServer[] = [auth];
  try {
    const messages = await startBuiltApp({
      app: 'message-service',
      healthPath: '/health',
      env: (port) => ({
        MESSAGE_SERVICE_PORT: String(port),
        AUTH_ISSUER: auth.url,
        MESSAGE_SERVICE_DATABASE: ':memory:',
        // The URL user-service's DPoP proofs name (htu).
        MESSAGE_SERVICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'warn',
        METRICS_TOKEN,
      }),
    });
    servers.push(messages);
    const startUserService = async (cacheEnabled: boolean): Promise<BenchServer> => {
      const server = await startBuiltApp({
        app: 'user-service',
        healthPath: '/health',
        env: (port) => ({
          // Not production: user-service refuses the demo client secret there, and the demo auth
          // server only knows that one.
          NODE_ENV: 'test',
          USER_SERVICE_PORT: String(port),
          AUTH_ISSUER: auth.url,
          MESSAGE_SERVICE_URL: messages.url,
          TOKEN_EXCHANGE_CACHE_ENABLED: String(cacheEnabled),
          LOG_LEVEL: 'warn',
          METRICS_TOKEN,
        }),
      });
      servers.push(server);
      return server;
    };
    const cached = await startUserService(true);
    const uncached = await startUserService(false);

    log(
      `user-service benchmark: ${settings.rounds} rounds x ${settings.durationSeconds}s per scenario; ` +
        `auth-server, message-service and user-service ${auth.pinned}, ${placement}; autocannon, ` +
        `${settings.connections} connections, loopback`,
    );
    log(`machine: ${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    const chainServers = [auth, messages];
    const measure = async (userService: BenchServer, token: string, durationSeconds: number): Promise<Measured> => {
      const involved = [...chainServers, userService];
      const before = involved.map((server) => server.cpuSeconds());
      const result = await load(
        { url: `${userService.url}/api/users/messages`, headers: { authorization: `Bearer ${token}` } },
        { connections: settings.connections, durationSeconds },
      );
      const after = involved.map((server) => server.cpuSeconds());
      const perServer = involved.map((_, index) => {
        const start = before[index];
        const end = after[index];
        return start === undefined || end === undefined ? undefined : ((end - start) * 1e6) / result.total;
      });
      const total = perServer.every((value) => value !== undefined)
        ? perServer.reduce<number>((sum, value) => sum + (value ?? 0), 0)
        : undefined;
      return { ...result, cpuMicrosPerRequest: total, cpuMicrosPerServer: perServer };
    };

    // 1. The chain, cache warm (a) vs cache disabled (b), alternating.
    const scenarios = [
      { label: '(a) exchange cache warm', server: cached },
      { label: '(b) exchange cache disabled', server: uncached },
    ];
    const results = new Map<string, Measured[]>(scenarios.map((scenario) => [scenario.label, []]));
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (const scenario of scenarios) {
      const warm = await measure(scenario.server, await aliceToken(auth.url), settings.warmupSeconds);
      assertAllSucceeded(scenario.label, warm);
    }
    for (let round = 1; round <= settings.rounds; round += 1) {
      // A fresh token per round (the demo's tokens live 300 s): round 1 of (a) starts cold.
      const token = await aliceToken(auth.url);
      const perRound: Measured[] = [];
      for (const scenario of round % 2 === 1 ? scenarios : [...scenarios].reverse()) {
        const result = await measure(scenario.server, token, settings.durationSeconds);
        assertAllSucceeded(scenario.label, result);
        results.get(scenario.label)?.push(result);
        perRound[scenarios.indexOf(scenario)] = result;
        log(
          `  round ${round} ${scenario.label.padEnd(28)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s` +
            `  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  CPU µs/request ${formatCpu(result.cpuMicrosPerRequest)}` +
            ` (auth ${formatCpu(result.cpuMicrosPerServer[0])}, message ${formatCpu(result.cpuMicrosPerServer[1])}, user ${formatCpu(result.cpuMicrosPerServer[2])})`,
        );
      }
      const [warm, disabled] = perRound;
      ratios.push(warm.requestsPerSecond / disabled.requestsPerSecond);
      if (warm.cpuMicrosPerRequest !== undefined && disabled.cpuMicrosPerRequest !== undefined) {
        cpuRatios.push(disabled.cpuMicrosPerRequest / warm.cpuMicrosPerRequest);
      }
    }

    // 2. exchange() in process, cache warm, against the same auth server for its one real exchange.
    const micro = await runTypeScript(join('user-service', 'exchange-micro.bench.ts'), {
      tokenEndpoint: `${auth.url}/oauth2/token`,
      subjectToken: await aliceToken(auth.url),
      rounds: settings.rounds,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
    });
    const microRounds = micro
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as {
            round?: number;
            opsPerSecond?: number;
            microsecondsPerCall?: number;
            cpuMicrosecondsPerCall?: number;
            opsPerCpuSecond?: number;
            exchangeRequests?: number;
          },
      );
    const microResults = microRounds.filter((entry) => entry.round !== undefined);
    const microSummary = microRounds.find((entry) => entry.exchangeRequests !== undefined);
    for (const entry of microResults) {
      log(
        `  exchange() round ${entry.round}: ${Math.round(entry.opsPerSecond ?? 0).toLocaleString('en-US')} calls/s wall clock ` +
          `(${(entry.microsecondsPerCall ?? 0).toFixed(2)} µs/call); CPU ${(entry.cpuMicrosecondsPerCall ?? 0).toFixed(2)} µs/call ` +
          `= ${Math.round(entry.opsPerCpuSecond ?? 0).toLocaleString('en-US')} calls per CPU second`,
      );
    }

    // 3. Cold start: a user-service that has never seen this user (nor fetched keys or metadata).
    const coldRounds: { exchanges: number; ok: number; wallMs: number }[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      const fresh = await startUserService(true);
      const token = await aliceToken(auth.url);
      const before = await settledGrantedExchanges(auth.logFile);
      const started = performance.now();
      const statuses = await Promise.all(
        Array.from({ length: COLD_START_CALLERS }, async () => {
          const response = await fetch(`${fresh.url}/api/users/messages`, { headers: { authorization: `Bearer ${token}` } });
          await response.arrayBuffer();
          return response.status;
        }),
      );
      const wallMs = performance.now() - started;
      const exchanges = (await settledGrantedExchanges(auth.logFile)) - before;
      const ok = statuses.filter((status) => status === 200).length;
      coldRounds.push({ exchanges, ok, wallMs });
      log(`  cold start round ${round}: ${ok}/${COLD_START_CALLERS} answered 200 in ${wallMs.toFixed(0)} ms; exchanges at the auth server: ${exchanges}`);
      await fresh.stop();
      servers.splice(servers.indexOf(fresh), 1);
    }

    log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine moves absolute figures)`);
    log('');
    for (const line of roundsTable('GET /api/users/messages', 'CPU of the 3 servers µs/request', results)) log(line);
    log('');
    log(`ratio (a)/(b) req/s per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; min / median / max ${formatSpread(spread(ratios), 2)} (target >= 1.5)`);
    if (cpuRatios.length > 0) {
      log(`ratio (b)/(a) CPU per request per round: ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}; min / median / max ${formatSpread(spread(cpuRatios), 2)}`);
    }
    const ops = spread(microResults.map((entry) => entry.opsPerSecond ?? 0));
    const micros = spread(microResults.map((entry) => entry.microsecondsPerCall ?? 0));
    const cpuMicros = spread(microResults.map((entry) => entry.cpuMicrosecondsPerCall ?? 0));
    const cpuOps = spread(microResults.map((entry) => entry.opsPerCpuSecond ?? 0));
    log(
      `warm exchange() (min / median / max; target < 5 µs, >= 200,000/s on one core): wall clock ${formatSpread(ops)} calls/s, ` +
        `${formatSpread(micros, 2)} µs/call; CPU ${formatSpread(cpuMicros, 2)} µs/call = ${formatSpread(cpuOps)} calls per CPU second; ` +
        `requests to the auth server during it: ${microSummary?.exchangeRequests ?? 'n/a'} (the one warming exchange)`,
    );
    log(
      `cold start, ${COLD_START_CALLERS} concurrent first calls by one user: exchanges per round ${coldRounds.map((r) => r.exchanges).join(', ')} (target: exactly 1); ` +
        `all answered 200: ${coldRounds.every((r) => r.ok === COLD_START_CALLERS) ? 'yes' : 'no'}; ` +
        `wall time ms ${formatSpread(spread(coldRounds.map((r) => r.wallMs)))}`,
    );
    if (coldRounds.some((r) => r.exchanges !== 1 || r.ok !== COLD_START_CALLERS)) {
      throw new Error('the cold start must make exactly one exchange and answer every caller');
    }

    // 4. Today's chain against the baseline's (the issue-5 servers above are idle meanwhile).
    log('');
    log(`GET /api/users/messages, exchange cache warm: this build against the baseline, ${settings.rounds} alternating rounds`);
    await runChainAgainstBaseline(settings, auth.url, METRICS_TOKEN, () => aliceToken(auth.url), log);

    // 5. What one downstream call costs the caller, by HTTP client.
    await runTransportComparison(settings, log);
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

/** alice's token for user-service, through the login and consent pages. */
export async function aliceToken(authUrl: string): Promise<string> {
  const output = await runTypeScript(join('user-service', 'user-token.ts'), { baseUrl: authUrl, username: 'alice', password: 'alice-password' });
  return output.trim();
}

/** Granted exchanges in the auth server's audit lines, once the log has stopped growing. */
async function settledGrantedExchanges(logFile: string): Promise<number> {
  let previous = -1;
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const count = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"token_exchange"') && line.includes('"granted"')).length;
    if (count === previous) return count;
    previous = count;
    await new Promise((wait) => setTimeout(wait, 150));
  }
  return previous;
}

function assertAllSucceeded(label: string, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0 || result.total === 0) {
    throw new Error(`${label}: ${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.total}`);
  }
}

function formatCpu(micros: number | undefined): string {
  return micros === undefined ? 'n/a' : micros.toFixed(0);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
