import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { load, type LoadRequest, type LoadResult } from '../lib/load.mts';
import { pinLoadGenerator, startBuiltApp, workspaceRoot, type BenchServer } from '../lib/server.mts';
import type { Settings } from '../lib/settings.mts';
import { formatSpread, roundsTable, spread, type RoundFigures } from '../lib/stats.mts';
import { aliceToken } from '../user-service/chain.bench.mts';
import { BenchDpopKey } from './dpop-proof.mts';

/**
 * Issue 16: the cost of DPoP (RFC 9449), with and without, side by side in one run.
 * - Per exchange: the built auth server's CPU µs per token exchange of alice's token, with a fresh
 *   DPoP proof on every request (verified, its `jti` recorded, the token bound: `cnf.jkt`) against
 *   the same exchange without a proof (a bearer token). One client for both, the demo's
 *   `message-service` registration (the seed's Spring client), whose policy allows either; the
 *   demo's `user-service` client requires a proof, so it cannot be the baseline.
 * - Per downstream call: message-service's CPU µs per `GET /api/messages` with a DPoP-bound token
 *   and a fresh proof (signature, htm/htu/iat/ath, thumbprint against `cnf.jkt`, replay record)
 *   against a bearer token of the same shape (same client, same claims but `cnf`). One
 *   message-service for both, with `MESSAGE_SERVICE_REQUIRE_DPOP=never` so that it takes the
 *   bearer token too (its default refuses bearer tokens that came through an exchange).
 * Each pair runs in the same round against the same process, the order alternating from round to
 * round; at least 5 rounds; min / median / max. Servers pinned to CPU 0, the load generator (which
 * signs the proofs, about 30 µs each) kept off it.
 */
export const name = 'dpop';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
/** The Spring registration of the demo file: exchanges for message-service, DPoP optional. */
const BASIC = `Basic ${Buffer.from('message-service:token').toString('base64')}`;
const METRICS_TOKEN = `bench-${randomBytes(16).toString('hex')}`;

type Scenario = 'exchange, no proof' | 'exchange + DPoP proof' | 'GET /api/messages, bearer' | 'GET /api/messages, DPoP + proof';
const EXCHANGES: readonly Scenario[] = ['exchange, no proof', 'exchange + DPoP proof'];
const CALLS: readonly Scenario[] = ['GET /api/messages, bearer', 'GET /api/messages, DPoP + proof'];

interface Measured extends LoadResult, RoundFigures {}

/** What a round works with: alice's token, and the two message-service tokens exchanged from it. */
interface RoundTokens {
  subject: string;
  bearer: string;
  bound: string;
}

export async function run(settings: Settings): Promise<void> {
  const rounds = Math.max(5, settings.rounds);
  // BENCH_DPOP_SKIP_BUILD=1 measures message-service as it is in dist/ (`npm run bench` builds the auth server).
  if (process.env['BENCH_DPOP_SKIP_BUILD'] !== '1') {
    const build = spawnSync('npx', ['nx', 'build', 'message-service', '--outputStyle=static'], {
      cwd: workspaceRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    if (build.status !== 0) throw new Error('building message-service failed');
  }

  const placement = pinLoadGenerator();
  const key = new BenchDpopKey();
  const servers: BenchServer[] = [];
  try {
    const auth = await startBenchAuthServer();
    servers.push(auth);
    const messages = await startBuiltApp({
      app: 'message-service',
      healthPath: '/health',
      env: (port, dataDir) => ({
        MESSAGE_SERVICE_PORT: String(port),
        MESSAGE_SERVICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        MESSAGE_SERVICE_REQUIRE_DPOP: 'never',
        AUTH_ISSUER: auth.url,
        MESSAGE_SERVICE_DATABASE: join(dataDir, 'messages.sqlite'),
        LOG_LEVEL: 'warn',
        METRICS_TOKEN,
      }),
    });
    servers.push(messages);
    const tokenUrl = `${auth.url}/oauth2/token`;
    const inboxUrl = `${messages.url}/api/messages`;

    // alice signs in again only when her token has less than a minute left (a sign-in spawns a
    // ts-node process: seconds on a busy machine); the exchanged tokens are new every round.
    let subject = '';
    const roundTokens = async (): Promise<RoundTokens> => {
      if (secondsLeft(subject) < 60) subject = await aliceToken(auth.url);
      return { subject, bearer: await exchange(tokenUrl, subject), bound: await exchange(tokenUrl, subject, key) };
    };
    const request = (scenario: Scenario, tokens: RoundTokens): LoadRequest => {
      const form = new URLSearchParams({ grant_type: GRANT, subject_token: tokens.subject, subject_token_type: ACCESS_TOKEN, audience: 'message-service' });
      switch (scenario) {
        case 'exchange, no proof':
          return { url: tokenUrl, method: 'POST', headers: formHeaders(), body: form.toString() };
        case 'exchange + DPoP proof':
          return { url: tokenUrl, method: 'POST', headers: formHeaders(), body: form.toString(), nextHeaders: () => ({ dpop: key.proof('POST', tokenUrl) }) };
        case 'GET /api/messages, bearer':
          return { url: inboxUrl, headers: { authorization: `Bearer ${tokens.bearer}` } };
        case 'GET /api/messages, DPoP + proof':
          return { url: inboxUrl, headers: { authorization: `DPoP ${tokens.bound}` }, nextHeaders: () => ({ dpop: key.proof('GET', inboxUrl, tokens.bound) }) };
      }
    };
    const serverOf = (scenario: Scenario): BenchServer => (EXCHANGES.includes(scenario) ? auth : messages);
    const measure = async (scenario: Scenario, tokens: RoundTokens, durationSeconds: number): Promise<Measured> => {
      const server = serverOf(scenario);
      const before = server.cpuSeconds();
      const result = await load(request(scenario, tokens), { connections: settings.connections, durationSeconds });
      const after = server.cpuSeconds();
      if (result.non2xx > 0 || result.errors > 0 || result.total === 0) {
        throw new Error(`${scenario}: ${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.total}`);
      }
      return { ...result, cpuMicrosPerRequest: before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / result.total };
    };

    log(
      `DPoP with and without: ${rounds} rounds x ${settings.durationSeconds}s per scenario; servers ${auth.pinned}, ${placement}; ` +
        `autocannon, ${settings.connections} connections, loopback; proofs ES256, a fresh one per request`,
    );
    log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    const first = await roundTokens();
    checkBound(first, key.thumbprint);
    for (const scenario of [...EXCHANGES, ...CALLS]) await measure(scenario, first, settings.warmupSeconds);

    const results = new Map<Scenario, Measured[]>([...EXCHANGES, ...CALLS].map((scenario) => [scenario, []]));
    for (let round = 1; round <= rounds; round += 1) {
      // Fresh exchanged tokens per round (the demo's tokens live 300 s).
      const tokens = round === 1 ? first : await roundTokens();
      for (const pair of [EXCHANGES, CALLS]) {
        for (const scenario of round % 2 === 1 ? pair : [...pair].reverse()) {
          const result = await measure(scenario, tokens, settings.durationSeconds);
          results.get(scenario)?.push(result);
          log(
            `  round ${round} ${scenario.padEnd(32)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s` +
              `  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  server CPU ${formatMicros(result.cpuMicrosPerRequest)} µs/request`,
          );
        }
      }
    }

    log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine moves absolute figures)`);
    log('');
    for (const line of roundsTable('scenario', 'server CPU µs/request', results)) log(line);
    log('');
    for (const [label, [without, withProof]] of [
      ['per exchange (auth server)', EXCHANGES],
      ['per downstream call (message-service)', CALLS],
    ] as const) {
      const a = results.get(without) ?? [];
      const b = results.get(withProof) ?? [];
      const extra = b.flatMap((result, index) => {
        const base = a[index]?.cpuMicrosPerRequest;
        return result.cpuMicrosPerRequest === undefined || base === undefined ? [] : [result.cpuMicrosPerRequest - base];
      });
      const ratio = b.map((result, index) => result.requestsPerSecond / (a[index]?.requestsPerSecond ?? Number.NaN));
      log(
        `DPoP cost ${label}: +CPU µs per request (with - without, same round) ${extra.map((value) => value.toFixed(0)).join(', ')}` +
          ` -> min / median / max ${extra.length > 0 ? formatSpread(spread(extra)) : 'n/a'}; req/s with / without ${formatSpread(spread(ratio), 2)}`,
      );
    }
  } finally {
    for (const server of servers) await server.stop();
  }
}

/** An exchange of `subject` for message-service as the Spring client; with `key`, a proof of it (a bound token). */
async function exchange(tokenUrl: string, subject: string, key?: BenchDpopKey): Promise<string> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { ...formHeaders(), ...(key === undefined ? {} : { dpop: key.proof('POST', tokenUrl) }) },
    body: new URLSearchParams({ grant_type: GRANT, subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: 'message-service' }),
  });
  const body = (await response.json()) as { access_token?: string; token_type?: string; error?: string };
  const expected = key === undefined ? 'Bearer' : 'DPoP';
  if (!response.ok || body.access_token === undefined || body.token_type !== expected) {
    throw new Error(`exchange ${key === undefined ? 'without' : 'with'} a proof: ${response.status} ${body.error ?? body.token_type}`);
  }
  return body.access_token;
}

/** The two tokens must differ only by the binding, or the comparison means nothing. */
function checkBound(tokens: RoundTokens, thumbprint: string): void {
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
  const bound = claims(tokens.bound);
  const bearer = claims(tokens.bearer);
  if ((bound['cnf'] as { jkt?: string } | undefined)?.jkt !== thumbprint || bearer['cnf'] !== undefined) {
    throw new Error('the exchange with a proof did not bind the token to the proof key, or the one without did');
  }
  const shape = (value: Record<string, unknown>) => Object.keys(value).filter((claim) => claim !== 'cnf').sort().join(',');
  if (shape(bound) !== shape(bearer)) throw new Error(`the two tokens differ beyond cnf: ${shape(bound)} / ${shape(bearer)}`);
}

/** Seconds until a JWT's `exp`; 0 for none. */
function secondsLeft(token: string): number {
  if (token === '') return 0;
  const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp?: number };
  return typeof exp === 'number' ? exp - Date.now() / 1000 : 0;
}

function formHeaders(): Record<string, string> {
  return { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC };
}

function formatMicros(micros: number | undefined): string {
  return micros === undefined ? 'n/a' : micros.toFixed(0).padStart(5);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
