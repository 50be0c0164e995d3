/**
 * Where the auth server's CPU goes, by category, for the record in docs/benchmarks.md (issue 15):
 *
 *   [BENCH_APPS_DIR=<an earlier build's dist/apps>] node bench/profile/profile.mts [--seconds 10] [--log-level silent]
 *
 * Starts the built auth server (or the one in BENCH_APPS_DIR, e.g. an older commit's) pinned to CPU 0
 * with `--cpu-prof`, drives client_credentials, the token exchange and discovery against it for
 * `--seconds` each after a warm-up, stops it (the profile is written on exit), and prints the busy
 * time per request of each scenario and the self time of every category per request of the
 * measured runs (start-up and warm-up left out): logging, oidc-provider + koa, jose, express + Nest, Node's
 * HTTP, the garbage collector, Baton's own code… Not a suite of `npm run bench`: a profile slows the
 * server down, so its figures are shares, never throughput.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { withoutDpop } from '../auth-server/demo-without-dpop.mts';
import { startBenchAuthServer } from '../lib/auth-server.mts';
import { load, type LoadRequest } from '../lib/load.mts';
import { builtAppsDir, pinLoadGenerator } from '../lib/server.mts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** First match wins: the URL (or function name for V8's own entries) → category. */
const CATEGORIES: readonly (readonly [string, RegExp])[] = [
  ['logging (pino, pino-http, nestjs-pino, redaction)', /node_modules\/(@pinojs\/[^/]+|pino|pino-http|pino-std-serializers|nestjs-pino|fast-redact|sonic-boom|pino-abstract-transport|fast-safe-stringify|on-exit-leak-free|thread-stream|quick-format-unescaped|safe-stable-stringify)\//],
  ['oidc-provider + koa', /node_modules\/(oidc-provider|koa|@koa|koa-compose|koa-compress|@koa\/router|raw-body|http-errors|statuses|content-type|cookies|keygrip|quick-lru|nanoid|paseto|eta|jsesc|oidc-token-hash|debug|ms|iconv-lite|depd|on-finished|ee-first|destroy|fresh|vary|accepts|negotiator|mime-types|mime-db|type-is|media-typer|encodeurl|escape-html|parseurl|content-disposition|http-assert|delegates|only|cache-content-type|ylru|is-generator-function)\//],
  ['jose (signing, JWKS)', /node_modules\/jose\//],
  ['express + Nest + rxjs', /node_modules\/(express|router|body-parser|qs|finalhandler|serve-static|send|@nestjs\/[^/]+|rxjs|tslib|reflect-metadata|path-to-regexp|iterare|class-transformer|class-validator|passport|passport-jwt|cookie|cookie-signature|proxy-addr|forwarded|ipaddr\.js|setprototypeof|merge-descriptors|utils-merge|range-parser|etag)\//],
  ['metrics (prom-client)', /node_modules\/(prom-client|tdigest|bintrees)\//],
  ["Node's HTTP, net and streams", /^node:(internal\/)?(http|_http|https|net|stream|internal\/streams|internal\/http|_http_|dns|tls|events|internal\/stream_base_commons|internal\/event_target|internal\/url|url|querystring|buffer|internal\/buffer|string_decoder|zlib|timers|internal\/timers|internal\/async_hooks|async_hooks|internal\/process\/task_queues|internal\/perf|perf_hooks)/],
  ["Node's crypto (node:crypto, WebCrypto)", /^node:(internal\/)?(crypto|internal\/crypto|webcrypto)/],
  ['other Node internals', /^node:/],
  ["Baton's code (the app bundle)", /dist\/apps\/|\/apps\/|\/libs\//],
];
const V8_ENTRIES: Record<string, string> = {
  '(garbage collector)': 'garbage collector',
  '(idle)': 'idle',
  '(program)': 'V8 and native (program)',
  '(root)': 'V8 and native (program)',
};

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    // LOG_LEVEL of the server: `silent` profiles it with logging off, to compare with `info`.
    'log-level': { type: 'string', default: 'info' },
  },
});
const seconds = Number(values.seconds);
const profileDir = mkdtempSync(join(tmpdir(), 'bench-profile-'));

pinLoadGenerator();
// The exchange without DPoP, as the auth-server suite measures it (bench/dpop measures DPoP's cost).
const server = await startBenchAuthServer(withoutDpop({ NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}`, LOG_LEVEL: values['log-level'] }));
const tokenUrl = `${server.url}/oauth2/token`;
const basic = `Basic ${Buffer.from('user-service:secret').toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
/** A scenario's measured run: its requests and when it ran (µs, the profile's monotonic clock). */
interface Window {
  label: string;
  requests: number;
  from: number;
  to: number;
}
const windows: Window[] = [];
try {
  const subject = await clientCredentialsToken();
  const scenarios: (LoadRequest & { label: string })[] = [
    { label: 'client_credentials', url: tokenUrl, method: 'POST', headers: form, body: 'grant_type=client_credentials' },
    {
      label: 'token exchange',
      url: tokenUrl,
      method: 'POST',
      headers: form,
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: subject,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'message-service',
      }).toString(),
    },
    { label: 'discovery GET', url: `${server.url}/.well-known/openid-configuration` },
  ];
  // Start-up and the first requests (module loading, compiling) are not what is measured: a
  // warm-up run of each scenario first, and only samples within the measured runs are counted.
  for (const scenario of scenarios) await load(scenario, { connections: 10, durationSeconds: Math.min(3, seconds) });
  for (const scenario of scenarios) {
    const from = monotonicMicros();
    const result = await load(scenario, { connections: 10, durationSeconds: seconds });
    const to = monotonicMicros();
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${scenario.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    windows.push({ label: scenario.label, requests: result.total, from, to });
  }
} finally {
  await server.stop();
}
const requests = windows.reduce((sum, window) => sum + window.requests, 0);
// Beside the profile, for a closer look at one scenario's samples.
writeFileSync(join(profileDir, 'windows.json'), JSON.stringify(windows));

const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no profile written in ${profileDir}`);
const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, ProfileNode>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
const selfMicros = new Map<string, number>();
const windowMicros = new Map<string, number>();
let time = profile.startTime;
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0;
  time += delta;
  const window = windows.find((candidate) => time >= candidate.from && time < candidate.to);
  if (window === undefined) return;
  const node = byId.get(id);
  const category = node === undefined ? 'unknown' : categoryOf(node);
  selfMicros.set(category, (selfMicros.get(category) ?? 0) + delta);
  if (category !== 'idle') windowMicros.set(window.label, (windowMicros.get(window.label) ?? 0) + delta);
});
selfMicros.delete('idle');
const busy = [...selfMicros.values()].reduce((sum, micros) => sum + micros, 0);
process.stdout.write(
  `CPU profile of the auth server (${builtAppsDir()}): client_credentials, token exchange and discovery, ${seconds} s each after a warm-up, ` +
    `${requests} requests, LOG_LEVEL=${values['log-level']}; profile: ${join(profileDir, file)}\n` +
    `  per scenario (busy µs/request): ${windows.map((window) => `${window.label} ${((windowMicros.get(window.label) ?? 0) / window.requests).toFixed(0)}`).join(', ')}\n` +
    `  self time by category (idle excluded), per request of the mix:\n`,
);
let rest = 0;
for (const [category, micros] of [...selfMicros].sort((a, b) => b[1] - a[1])) {
  if (micros < busy * 0.005) {
    rest += micros;
    continue;
  }
  process.stdout.write(
    `  ${category.padEnd(52)} ${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${(micros / requests).toFixed(0).padStart(5)} µs/request\n`,
  );
}
process.stdout.write(`  ${'the rest (each < 0.5 %)'.padEnd(52)} ${((100 * rest) / busy).toFixed(1).padStart(5)} %  ${(rest / requests).toFixed(0).padStart(5)} µs/request\n`);
process.stdout.write(`  ${'all'.padEnd(52)} 100.0 %  ${(busy / requests).toFixed(0).padStart(5)} µs/request (profiling adds its own cost)\n`);

/**
 * A frame's category; a native frame without a URL (JSON.stringify, a RegExp, a Buffer builtin…)
 * counts for the JavaScript that called it, so pino's stringify is logging, not "native".
 */
function categoryOf(node: ProfileNode): string {
  const v8 = V8_ENTRIES[node.callFrame.functionName];
  if (node.callFrame.url === '' && v8 !== undefined) return v8;
  for (let frame: ProfileNode | undefined = node; frame !== undefined; frame = parentOf.get(frame.id)) {
    const url = frame.callFrame.url;
    if (url === '') continue;
    for (const [category, pattern] of CATEGORIES) if (pattern.test(url)) return category;
    const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
    return packageName === undefined ? 'unclassified' : `package ${packageName}`;
  }
  return 'V8 and native (program)';
}

async function clientCredentialsToken(): Promise<string> {
  const response = await fetch(tokenUrl, { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
  const body = (await response.json()) as { access_token?: string };
  if (body.access_token === undefined) throw new Error(`no subject token: ${response.status}`);
  return body.access_token;
}

/** µs on the clock V8's profiler stamps its samples with (CLOCK_MONOTONIC, as process.hrtime). */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
