import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { load, type LoadResult } from '../lib/load.mts';
import { startBuiltApp, workspaceRoot, type BenchServer } from '../lib/server.mts';
import { nestWarmupSeconds, type Settings } from '../lib/settings.mts';
import { formatSpread, spread, type Spread } from '../lib/stats.mts';

/**
 * Issue 15, target 4: the chain `GET /api/users/messages` (user-service → message-service, exchange
 * cache warm) of today's build against an earlier one ("baseline"), side by side in one run,
 * alternating rounds; CPU µs per request at user-service and at message-service from each process's
 * own accounting, req/s, idle and peak RSS, and the ratio current/baseline. Then the downstream-call
 * micro comparison (axios against the alternatives) as its own table.
 */

/** Where the earlier build is: BENCH_BASELINE, else /work/baseline/dist when it exists; `undefined` without one. */
export function baselineAppsDir(): string | undefined {
  const configured = process.env['BENCH_BASELINE'];
  const candidates = configured !== undefined && configured !== '' ? [configured] : ['/work/baseline/dist'];
  for (const folder of candidates) {
    // The folder may be a build's dist/ (holding apps/) or a checkout (holding dist/apps/).
    for (const apps of [join(folder, 'apps'), join(folder, 'dist', 'apps')]) {
      if (existsSync(join(apps, 'user-service', 'main.js')) && existsSync(join(apps, 'message-service', 'main.js'))) return apps;
    }
    if (configured !== undefined && configured !== '') {
      throw new Error(`BENCH_BASELINE=${configured} holds no apps/user-service/main.js and apps/message-service/main.js`);
    }
  }
  return undefined;
}

interface Chain {
  label: string;
  user: BenchServer;
  message: BenchServer;
  idleRssBytes: { user: number | undefined; message: number | undefined };
}

interface ChainRound extends LoadResult {
  userCpuMicros: number | undefined;
  messageCpuMicros: number | undefined;
  userPeakRssBytes: number | undefined;
}

/**
 * Starts message-service and user-service of the build in `appsDir` (`undefined`: today's dist),
 * against `authUrl`, as the chain suite starts them; their idle RSS is read after a short settle.
 */
async function startChain(
  label: string,
  appsDir: string | undefined,
  authUrl: string,
  metricsToken: string,
  servers: BenchServer[],
): Promise<Chain> {
  const main = (app: string) => (appsDir === undefined ? undefined : join(appsDir, app, 'main.js'));
  const message = await startBuiltApp({
    app: 'message-service',
    main: main('message-service'),
    healthPath: '/health',
    env: (port) => ({
      MESSAGE_SERVICE_PORT: String(port),
      AUTH_ISSUER: authUrl,
      MESSAGE_SERVICE_DATABASE: ':memory:',
      // The URL user-service's DPoP proofs name (htu); a build from before DPoP ignores it.
      MESSAGE_SERVICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'warn',
      METRICS_TOKEN: metricsToken,
    }),
  });
  servers.push(message);
  const user = await startBuiltApp({
    app: 'user-service',
    main: main('user-service'),
    healthPath: '/health',
    env: (port) => ({
      // Not production: user-service refuses the demo client secret there.
      NODE_ENV: 'test',
      USER_SERVICE_PORT: String(port),
      AUTH_ISSUER: authUrl,
      MESSAGE_SERVICE_URL: message.url,
      LOG_LEVEL: 'warn',
      METRICS_TOKEN: metricsToken,
    }),
  });
  servers.push(user);
  // Idle: started, healthy, a few seconds without traffic (what a replica waiting for work holds).
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  return { label, user, message, idleRssBytes: { user: user.rss(), message: message.rss() } };
}

async function measureChain(chain: Chain, token: string, connections: number, durationSeconds: number): Promise<ChainRound> {
  chain.user.resetPeakRss();
  const before = [chain.user.cpuSeconds(), chain.message.cpuSeconds()];
  const result = await load(
    { url: `${chain.user.url}/api/users/messages`, headers: { authorization: `Bearer ${token}` } },
    { connections, durationSeconds },
  );
  const after = [chain.user.cpuSeconds(), chain.message.cpuSeconds()];
  const per = (index: number): number | undefined => {
    const start = before[index];
    const end = after[index];
    return start === undefined || end === undefined || result.total === 0 ? undefined : ((end - start) * 1e6) / result.total;
  };
  return { ...result, userCpuMicros: per(0), messageCpuMicros: per(1), userPeakRssBytes: chain.user.peakRss() };
}

function assertAllSucceeded(label: string, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0 || result.total === 0) {
    throw new Error(`${label}: ${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.total}`);
  }
}

const mib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : (bytes / 1_048_576).toFixed(0));
const micros = (value: number | undefined): string => (value === undefined ? 'n/a' : value.toFixed(0));
const defined = (values: (number | undefined)[]): number[] => values.filter((value): value is number => value !== undefined);
const spreadOrNa = (values: (number | undefined)[], digits = 0): string => {
  const known = defined(values);
  return known.length === values.length && known.length > 0 ? formatSpread(spread(known), digits) : 'n/a';
};

/**
 * The chain of today's build and, when there is one, of the baseline, in alternating rounds with
 * one token per round for both (so both caches are warm with the same exchange). `token()` gives
 * a fresh token of alice for user-service.
 */
export async function runChainAgainstBaseline(
  settings: Settings,
  authUrl: string,
  metricsToken: string,
  token: () => Promise<string>,
  log: (line: string) => void,
): Promise<void> {
  const baseline = baselineAppsDir();
  const servers: BenchServer[] = [];
  try {
    const chains = [await startChain('current build', undefined, authUrl, metricsToken, servers)];
    if (baseline !== undefined) chains.push(await startChain(`baseline (${baseline})`, baseline, authUrl, metricsToken, servers));
    else log('  no baseline build (BENCH_BASELINE, or /work/baseline/dist): the current build only');

    const warmToken = await token();
    const warmupSeconds = nestWarmupSeconds(settings);
    log(`  warm-up: ${warmupSeconds}s per build, not measured`);
    for (const chain of chains) assertAllSucceeded(chain.label, await measureChain(chain, warmToken, settings.connections, warmupSeconds));

    const rounds = new Map<Chain, ChainRound[]>(chains.map((chain) => [chain, []]));
    const throughputRatios: number[] = [];
    const cpuRatios: number[] = [];
    const userCpuRatios: number[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      const roundToken = await token();
      // Each chain exchanges the new token once, outside the measured window: the cache is warm.
      for (const chain of chains) assertAllSucceeded(chain.label, await measureChain(chain, roundToken, 1, 1));
      const perRound = new Map<Chain, ChainRound>();
      for (const chain of round % 2 === 1 ? chains : [...chains].reverse()) {
        const result = await measureChain(chain, roundToken, settings.connections, settings.durationSeconds);
        assertAllSucceeded(chain.label, result);
        rounds.get(chain)?.push(result);
        perRound.set(chain, result);
        log(
          `  round ${round} ${chain.label.padEnd(16).slice(0, 16)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms} ms  ` +
            `CPU µs/request user-service ${micros(result.userCpuMicros)}, message-service ${micros(result.messageCpuMicros)}; ` +
            `user-service peak RSS ${mib(result.userPeakRssBytes)} MiB`,
        );
      }
      const current = perRound.get(chains[0]);
      const earlier = chains[1] === undefined ? undefined : perRound.get(chains[1]);
      if (current !== undefined && earlier !== undefined) {
        throughputRatios.push(current.requestsPerSecond / earlier.requestsPerSecond);
        const sum = (r: ChainRound) => (r.userCpuMicros === undefined || r.messageCpuMicros === undefined ? undefined : r.userCpuMicros + r.messageCpuMicros);
        const [now, before] = [sum(current), sum(earlier)];
        if (now !== undefined && before !== undefined) cpuRatios.push(before / now);
        if (current.userCpuMicros !== undefined && earlier.userCpuMicros !== undefined) userCpuRatios.push(earlier.userCpuMicros / current.userCpuMicros);
      }
    }

    log('');
    log(
      '| GET /api/users/messages, cache warm | req/s min / median / max | CPU µs/request at user-service | CPU µs/request at message-service | ' +
        'user-service idle RSS MiB | user-service peak RSS MiB | message-service idle RSS MiB |',
    );
    log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const chain of chains) {
      const results = rounds.get(chain) ?? [];
      log(
        `| ${chain.label} | ${formatSpread(spread(results.map((r) => r.requestsPerSecond)))} | ${spreadOrNa(results.map((r) => r.userCpuMicros))} | ` +
          `${spreadOrNa(results.map((r) => r.messageCpuMicros))} | ${mib(chain.idleRssBytes.user)} | ` +
          `${spreadOrNa(results.map((r) => (r.userPeakRssBytes === undefined ? undefined : r.userPeakRssBytes / 1_048_576)))} | ${mib(chain.idleRssBytes.message)} |`,
      );
    }
    if (throughputRatios.length > 0) {
      const line = (name: string, values: number[], target = ''): string =>
        `${name} per round: ${values.map((r) => r.toFixed(2)).join(', ')}; min / median / max ${formatSpread(spread(values), 2)}${target}`;
      log('');
      log(line('ratio current/baseline req/s', throughputRatios, ' (target >= 1.5)'));
      if (cpuRatios.length > 0) log(line('ratio baseline/current CPU per request (user-service + message-service)', cpuRatios));
      if (userCpuRatios.length > 0) log(line('ratio baseline/current CPU per request at user-service', userCpuRatios));
    }
    const idle = chains[0].idleRssBytes.user;
    log(`user-service idle RSS (current build): ${mib(idle)} MiB (target <= 120 MiB)`);
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

interface TransportRound {
  client: string;
  round: number;
  calls: number;
  cpuMicrosPerCall: number;
  callsPerSecond: number;
}

/**
 * The downstream-call micro comparison (downstream-transports.bench.mts) in a process of its own
 * pinned to CPU 0 (the servers are idle by then), its stub downstream beside it.
 */
export async function runTransportComparison(settings: Settings, log: (line: string) => void): Promise<void> {
  const script = join(workspaceRoot, 'bench', 'user-service', 'downstream-transports.bench.mts');
  const input = JSON.stringify({
    rounds: settings.rounds,
    durationSeconds: Math.min(settings.durationSeconds, 3),
    warmupSeconds: Math.min(settings.warmupSeconds, 2),
    connections: settings.connections,
  });
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('taskset', ['-c', '0', process.execPath, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', script, input], {
      cwd: workspaceRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`the downstream-call comparison failed (${code}): ${errors}`))));
  });
  const results = output
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TransportRound);
  const clients = [...new Set(results.map((result) => result.client))];
  const cpu = new Map<string, Spread>(clients.map((client) => [client, spread(results.filter((r) => r.client === client).map((r) => r.cpuMicrosPerCall))]));
  const reference = cpu.get(clients[0]);
  log('');
  log(
    `Downstream call, client side only: CPU µs per GET of a message list (caller process pinned to CPU 0, ${settings.connections} concurrent callers, ` +
      `${settings.rounds} alternating rounds; the stub downstream in its own process)`,
  );
  log('| HTTP client | CPU µs/call min / median / max | calls/s min / median / max | CPU vs the first row (median) |');
  log('| --- | --- | --- | --- |');
  for (const client of clients) {
    const own = cpu.get(client);
    const rate = spread(results.filter((r) => r.client === client).map((r) => r.callsPerSecond));
    log(
      `| ${client} | ${own === undefined ? 'n/a' : formatSpread(own)} | ${formatSpread(rate)} | ` +
        `${own === undefined || reference === undefined ? 'n/a' : `${(own.median / reference.median).toFixed(2)}×`} |`,
    );
  }
  log('DownstreamClient uses node:http with a keep-alive agent per downstream (the exchange itself stays on @nestjs/axios).');
}
