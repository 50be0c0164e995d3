import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { withoutDpop } from '../auth-server/demo-without-dpop.mts';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { load, type LoadRequest, type LoadResult } from '../lib/load.mts';
import { pinLoadGenerator, type BenchServer } from '../lib/server.mts';
import type { Settings } from '../lib/settings.mts';
import { formatSpread, spread } from '../lib/stats.mts';

/**
 * Issue 15, target 1 — logging is not the product: the built auth server with `LOG_LEVEL=info`
 * (everything logged: one request line per request, the audit line per exchange, request ids)
 * against the same server with logging off (`LOG_LEVEL=silent`), side by side in one run: both
 * are loaded at the same time, on the same core, in rounds of discovery GET, client_credentials
 * and the token exchange (the scenarios' order rotates from round to round). Printed per
 * scenario: server CPU µs per request and req/s of each, and the ratio logging-on / logging-off
 * (from CPU per request, which other work on the machine hardly moves, and from req/s), min /
 * median / max over the rounds; the target is ≥ 0.90.
 *
 * The logging-on server's log file is then read: it must hold one `request completed` line per
 * request answered (with its request id, the client's credentials redacted) and one audit line
 * per exchange, so the ratio cannot be won by writing less. The logging-off server must have
 * written neither.
 *
 * With an earlier build (BENCH_BASELINE: a folder holding apps/auth-server/main.js or
 * dist/apps/auth-server/main.js; default /work/baseline/dist when it exists) the same pair of that
 * build runs in the same rounds, for a before/after in one run.
 */
export const name = 'logging';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const CLIENT = { id: 'user-service', secret: 'secret' };
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const TARGET = 0.9;

type ScenarioLabel = 'discovery GET' | 'client_credentials' | 'token exchange';
const SCENARIOS: readonly ScenarioLabel[] = ['discovery GET', 'client_credentials', 'token exchange'];

interface Measured extends LoadResult {
  cpuMicrosPerRequest: number | undefined;
}

/** One auth server under test and what it was asked (to check its log file afterwards). */
interface Subject {
  label: string;
  build: string;
  logging: 'on' | 'off';
  server: BenchServer;
  /** Requests answered within the measured and warm-up runs, plus the subject-token requests. */
  requests: number;
  exchanges: number;
  /** Runs of the load generator: each may leave up to one request per connection in flight. */
  runs: number;
  /** Per scenario, one entry per round: `undefined` for a run that got no answer at all (a drowned machine). */
  results: Map<ScenarioLabel, (Measured | undefined)[]>;
}

export async function run(settings: Settings): Promise<void> {
  const rounds = Math.max(5, settings.rounds);
  const baseline = baselineMain();
  const builds: { build: string; main: string | undefined }[] = [
    { build: 'current', main: undefined },
    ...(baseline === undefined ? [] : [{ build: 'baseline', main: baseline }]),
  ];
  const subjects: Subject[] = [];
  try {
    for (const { build, main } of builds) {
      for (const logging of ['on', 'off'] as const) {
        const appsDir = main === undefined ? undefined : dirname(dirname(main));
        // The exchange without DPoP, as the auth-server suite measures it (bench/dpop measures DPoP's cost).
        const env = withoutDpop({ LOG_LEVEL: logging === 'on' ? 'info' : 'silent' }, appsDir);
        const server = await startBenchAuthServer(env, appsDir);
        subjects.push({
          label: `${build}, logging ${logging}`,
          build,
          logging,
          server,
          requests: 0,
          exchanges: 0,
          runs: 0,
          results: new Map(SCENARIOS.map((scenario) => [scenario, []])),
        });
      }
    }
    const placement = `servers ${subjects[0]?.server.pinned}, ${pinLoadGenerator()}; autocannon, ${settings.connections} connections, loopback`;
    log(`logging on (LOG_LEVEL=info) against off (LOG_LEVEL=silent): ${rounds} rounds x ${settings.durationSeconds}s per scenario and server; ${placement}`);
    log(`builds: current (dist)${baseline === undefined ? '' : `, baseline (${baseline})`}`);
    log(`machine: ${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    for (const subject of subjects) {
      const token = await subjectToken(subject);
      for (const scenario of SCENARIOS) await measure(subject, scenario, token, settings.connections, settings.warmupSeconds, false);
    }
    for (let round = 1; round <= rounds; round += 1) {
      // A fresh subject token per round and server (each server signs with its own keys); it
      // outlives the round (the demo's tokens live 300 s).
      const tokens = new Map<Subject, string>();
      for (const subject of subjects) tokens.set(subject, await subjectToken(subject));
      for (const scenario of rotate(SCENARIOS, round - 1)) {
        // The on and off servers of a build are loaded at the same time, on the same core: whatever
        // else the machine runs then weighs on both alike (in turns, a busy moment of the shared
        // machine lands on one of them only). The builds take turns, in alternating order.
        for (const build of round % 2 === 1 ? builds : [...builds].reverse()) {
          const pair = subjects.filter((subject) => subject.build === build.build);
          const results = await Promise.all(
            pair.map((subject) => measure(subject, scenario, tokens.get(subject) ?? '', settings.connections, settings.durationSeconds, true)),
          );
          pair.forEach((subject, index) => {
            const result = results[index];
            if (result === undefined) return;
            if (result.total === 0) {
              log(`  round ${round} ${scenario.padEnd(18)} ${subject.label.padEnd(22)} no answer within the run: the machine is overloaded; round left out`);
              return;
            }
            log(
              `  round ${round} ${scenario.padEnd(18)} ${subject.label.padEnd(22)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s` +
                `  server CPU ${formatMicros(result.cpuMicrosPerRequest)} µs/request`,
            );
          });
        }
      }
    }
  } finally {
    for (const subject of subjects) await subject.server.stop();
  }

  log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine moves absolute figures)`);
  log('');
  log('| scenario | server | req/s min / median / max | server CPU µs/request min / median / max |');
  log('| --- | --- | --- | --- |');
  for (const scenario of SCENARIOS) {
    for (const subject of subjects) {
      const results = (subject.results.get(scenario) ?? []).filter((result): result is Measured => result !== undefined);
      const rates = results.length > 0 ? formatSpread(spread(results.map((r) => r.requestsPerSecond))) : 'n/a';
      log(`| ${scenario} | ${subject.label} | ${rates} | ${cpuSpread(results)} |`);
    }
  }
  log('');
  for (const { build } of builds) {
    const on = subjects.find((subject) => subject.build === build && subject.logging === 'on');
    const off = subjects.find((subject) => subject.build === build && subject.logging === 'off');
    if (on === undefined || off === undefined) continue;
    log(`${build}: ratio logging on / off per scenario (throughput; from CPU = off µs / on µs), per round, min / median / max (target >= ${TARGET.toFixed(2)})`);
    for (const scenario of SCENARIOS) {
      const onRounds = on.results.get(scenario) ?? [];
      const offRounds = off.results.get(scenario) ?? [];
      const cpuRatios: number[] = [];
      const rateRatios: number[] = [];
      onRounds.forEach((onRound, index) => {
        const offRound = offRounds[index];
        if (onRound === undefined || offRound === undefined) return;
        rateRatios.push(onRound.requestsPerSecond / offRound.requestsPerSecond);
        if (onRound.cpuMicrosPerRequest !== undefined && offRound.cpuMicrosPerRequest !== undefined) {
          cpuRatios.push(offRound.cpuMicrosPerRequest / onRound.cpuMicrosPerRequest);
        }
      });
      const cpu = cpuRatios.length > 0 ? spread(cpuRatios) : undefined;
      log(
        `  ${scenario.padEnd(18)} CPU ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}` +
          ` -> ${cpu === undefined ? 'n/a' : formatSpread(cpu, 2)}` +
          `${cpu === undefined ? '' : cpu.median >= TARGET ? ' (median meets the target)' : ' (median BELOW the target)'}` +
          `; req/s -> ${rateRatios.length > 0 ? formatSpread(spread(rateRatios), 2) : 'n/a'}`,
      );
    }
  }
  log('');
  for (const subject of subjects) checkLogFile(subject, settings.connections);
}

/** One load run against one server; `record` keeps it among the round results. */
async function measure(
  subject: Subject,
  scenario: ScenarioLabel,
  token: string,
  connections: number,
  durationSeconds: number,
  record: boolean,
): Promise<Measured> {
  const cpuBefore = subject.server.cpuSeconds();
  const result = await load(request(subject.server.url, scenario, token), { connections, durationSeconds });
  const cpuAfter = subject.server.cpuSeconds();
  // A run may answer nothing on a drowned machine: that round is left out, not the whole suite.
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${subject.label} ${scenario}: ${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.total}`);
  }
  subject.requests += result.total;
  subject.runs += 1;
  if (scenario === 'token exchange') subject.exchanges += result.total;
  const measured = {
    ...result,
    cpuMicrosPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || result.total === 0 ? undefined : ((cpuAfter - cpuBefore) * 1e6) / result.total,
  };
  if (record) subject.results.get(scenario)?.push(result.total > 0 ? measured : undefined);
  return measured;
}

function request(url: string, scenario: ScenarioLabel, token: string): LoadRequest {
  const tokenUrl = `${url}/oauth2/token`;
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC };
  switch (scenario) {
    case 'discovery GET':
      return { url: `${url}/.well-known/openid-configuration` };
    case 'client_credentials':
      return { url: tokenUrl, method: 'POST', headers: form, body: 'grant_type=client_credentials' };
    case 'token exchange':
      return {
        url: tokenUrl,
        method: 'POST',
        headers: form,
        body: new URLSearchParams({ grant_type: GRANT, subject_token: token, subject_token_type: ACCESS_TOKEN, audience: 'message-service' }).toString(),
      };
  }
}

async function subjectToken(subject: Subject): Promise<string> {
  const response = await fetch(`${subject.server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || body.access_token === undefined) throw new Error(`${subject.label}: no subject token (${response.status})`);
  subject.requests += 1;
  return body.access_token;
}

/**
 * Reads a server's log file after it stopped. Logging on: one `request completed` line per request
 * answered (autocannon counts the answers within a run; up to one request per connection is still
 * in flight when a run stops, answered and logged after the count), each with a request id, no
 * `request failed` line, no credential of the client in any line, and one audit line per exchange.
 * Logging off: neither kind of line.
 */
function checkLogFile(subject: Subject, connections: number): void {
  let completed = 0;
  let withoutRequestId = 0;
  let failed = 0;
  let granted = 0;
  let refused = 0;
  const text = readFileSync(subject.server.logFile, 'utf8');
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (entry['msg'] === 'request completed') {
      completed += 1;
      if (typeof entry['requestId'] !== 'string' || entry['requestId'] === '') withoutRequestId += 1;
    } else if (entry['msg'] === 'request failed') failed += 1;
    else if (entry['event'] === 'token_exchange') {
      if (entry['result'] === 'granted') granted += 1;
      else refused += 1;
    }
  }
  const inFlight = connections * subject.runs;
  const leaked = text.includes(BASIC.slice('Basic '.length)) || text.includes(`"${CLIENT.secret}"`);
  log(
    `${subject.label}: ${completed} request lines for ${subject.requests} requests answered (+ at most ${inFlight} in flight), ` +
      `${granted} audit lines for ${subject.exchanges} exchanges; ${failed} request failed, ${refused} refused, ` +
      `${withoutRequestId} request lines without a request id; client credentials in the log: ${leaked ? 'YES' : 'none'}`,
  );
  const problems: string[] = [];
  if (leaked) problems.push('a client credential was logged');
  if (subject.logging === 'on') {
    if (completed < subject.requests || completed > subject.requests + inFlight) problems.push('not one request line per request');
    if (granted < subject.exchanges || granted > subject.exchanges + inFlight) problems.push('not one audit line per exchange');
    if (withoutRequestId > 0 || failed > 0 || refused > 0) problems.push('request lines without a request id, or failures');
  } else if (completed + failed + granted + refused > 0) {
    problems.push('logging off still wrote request or audit lines');
  }
  if (problems.length > 0) throw new Error(`${subject.label}: ${problems.join('; ')} (see ${subject.server.logFile})`);
}

/** The earlier build's auth server main.js: BENCH_BASELINE, else /work/baseline/dist when it exists. */
function baselineMain(): string | undefined {
  const configured = process.env['BENCH_BASELINE'];
  const folders = configured !== undefined && configured !== '' ? [configured] : ['/work/baseline/dist'];
  for (const folder of folders) {
    for (const main of [join(folder, 'apps', 'auth-server', 'main.js'), join(folder, 'dist', 'apps', 'auth-server', 'main.js')]) {
      if (existsSync(main)) return main;
    }
  }
  if (configured !== undefined && configured !== '') throw new Error(`BENCH_BASELINE=${configured} holds no apps/auth-server/main.js`);
  return undefined;
}

function cpuSpread(results: readonly Measured[]): string {
  const cpu = results.map((r) => r.cpuMicrosPerRequest).filter((value): value is number => value !== undefined);
  return cpu.length === results.length && cpu.length > 0 ? formatSpread(spread(cpu)) : 'n/a';
}

function formatMicros(micros: number | undefined): string {
  return micros === undefined ? 'n/a' : micros.toFixed(0).padStart(5);
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
