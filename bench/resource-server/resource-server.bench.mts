import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { load, type LoadResult } from '../lib/load.mts';
import { pinLoadGenerator, startBuiltApp, workspaceRoot, type BenchServer } from '../lib/server.mts';
import type { Settings } from '../lib/settings.mts';
import { formatSpread, roundsTable, spread, type RoundFigures } from '../lib/stats.mts';
import { aliceToken } from '../user-service/chain.bench.mts';

/**
 * The resource-server figure (issue 13): what message-service (Nest + libs/resource-server) spends
 * per `GET /api/messages` against the floor, a bare `node:http` + jose `jwtVerify` server that does
 * the same token checks and answers the same bytes. Both pinned to CPU 0, alternating rounds, the
 * same exchanged token of alice's (aud message-service, `act` user-service, as user-service sends
 * it). Reported: req/s, latency, and each server's CPU µs per request from /proc, then the ratio
 * message-service / bare per round. The ratio is what to compare between runs: both sides share
 * the machine's noise.
 */
export const name = 'resource-server';

const METRICS_TOKEN = `bench-${randomBytes(16).toString('hex')}`;
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

interface Measured extends LoadResult, RoundFigures {}

export async function run(settings: Settings): Promise<void> {
  const build = spawnSync('npx', ['nx', 'build', 'message-service', '--outputStyle=static'], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (build.status !== 0) throw new Error('building message-service failed');

  const placement = pinLoadGenerator();
  const auth = await startBenchAuthServer();
  const servers: BenchServer[] = [auth];
  const bodyFile = join(tmpdir(), `bench-bare-body-${process.pid}.json`);
  try {
    const messages = await startBuiltApp({
      app: 'message-service',
      healthPath: '/health',
      env: (port) => ({
        MESSAGE_SERVICE_PORT: String(port),
        AUTH_ISSUER: auth.url,
        MESSAGE_SERVICE_DATABASE: ':memory:',
        LOG_LEVEL: 'warn',
        METRICS_TOKEN,
      }),
    });
    servers.push(messages);

    // The body message-service answers alice, served as is by the bare server.
    const first = await fetch(`${messages.url}/api/messages`, { headers: { authorization: `Bearer ${await exchangedToken(auth.url)}` } });
    if (first.status !== 200) throw new Error(`message-service answered ${first.status} to alice's exchanged token`);
    const body = Buffer.from(await first.arrayBuffer());
    writeFileSync(bodyFile, body);

    const bare = await startBuiltApp({
      app: 'bare-resource-server',
      main: join(workspaceRoot, 'bench', 'resource-server', 'bare-resource-server.mts'),
      healthPath: '/health',
      env: (port) => ({
        BARE_PORT: String(port),
        BARE_ISSUER: auth.url,
        BARE_AUDIENCE: 'message-service',
        BARE_SCOPE: 'message.read',
        BARE_BODY_FILE: bodyFile,
        BARE_CONTENT_TYPE: first.headers.get('content-type') ?? 'application/json',
      }),
    });
    servers.push(bare);

    log(
      `resource-server benchmark: ${settings.rounds} rounds x ${settings.durationSeconds}s per scenario; ` +
        `message-service and the bare jose server ${messages.pinned}, ${placement}; autocannon, ` +
        `${settings.connections} connections, loopback; body ${body.length} bytes`,
    );
    log(`machine: ${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    const scenarios = [
      { label: 'message-service (Nest, libs/resource-server)', server: messages },
      { label: 'bare node:http + jose jwtVerify', server: bare },
    ];
    const measure = async (server: BenchServer, token: string, durationSeconds: number): Promise<Measured> => {
      const before = server.cpuSeconds();
      const result = await load(
        { url: `${server.url}/api/messages`, headers: { authorization: `Bearer ${token}` } },
        { connections: settings.connections, durationSeconds },
      );
      const after = server.cpuSeconds();
      const cpuMicrosPerRequest = before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / result.total;
      return { ...result, cpuMicrosPerRequest };
    };

    const warmToken = await exchangedToken(auth.url);
    for (const scenario of scenarios) assertAllSucceeded(scenario.label, await measure(scenario.server, warmToken, settings.warmupSeconds));

    const results = new Map<string, Measured[]>(scenarios.map((scenario) => [scenario.label, []]));
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      // A fresh token per round: the demo's tokens live minutes, a run may take longer.
      const token = await exchangedToken(auth.url);
      const perRound: Measured[] = [];
      for (const scenario of round % 2 === 1 ? scenarios : [...scenarios].reverse()) {
        const result = await measure(scenario.server, token, settings.durationSeconds);
        assertAllSucceeded(scenario.label, result);
        results.get(scenario.label)?.push(result);
        perRound[scenarios.indexOf(scenario)] = result;
        log(
          `  round ${round} ${scenario.label.padEnd(46)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s` +
            `  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  CPU µs/request ${formatCpu(result.cpuMicrosPerRequest)}`,
        );
      }
      const [nest, floor] = perRound;
      ratios.push(floor.requestsPerSecond / nest.requestsPerSecond);
      if (nest.cpuMicrosPerRequest !== undefined && floor.cpuMicrosPerRequest !== undefined) {
        cpuRatios.push(nest.cpuMicrosPerRequest / floor.cpuMicrosPerRequest);
      }
    }

    log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine moves absolute figures)`);
    log('');
    for (const line of roundsTable('GET /api/messages', 'server CPU µs/request', results)) log(line);
    log('');
    log(`ratio bare / message-service req/s per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; min / median / max ${formatSpread(spread(ratios), 2)}`);
    if (cpuRatios.length > 0) {
      log(
        `ratio message-service / bare CPU per request per round: ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}; ` +
          `min / median / max ${formatSpread(spread(cpuRatios), 2)}`,
      );
    }
  } finally {
    for (const server of servers.reverse()) await server.stop();
    rmSync(bodyFile, { force: true });
  }
}

/** alice's token exchanged by user-service for message-service, as user-service would send it. */
async function exchangedToken(authUrl: string): Promise<string> {
  const response = await fetch(`${authUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: await aliceToken(authUrl),
      subject_token_type: ACCESS_TOKEN_TYPE,
      audience: 'message-service',
      scope: 'message.read',
    }),
  });
  const answer = (await response.json()) as { access_token?: string; error?: string };
  if (!response.ok || answer.access_token === undefined) throw new Error(`the exchange answered ${response.status} ${answer.error ?? ''}`);
  return answer.access_token;
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
