/**
 * `npm run soak`: load and faults against the three built services on loopback (issue 7).
 *  1. chain: SOAK_USERS (50) virtual users, each its own user (own `sub`, signed in through the
 *     login pages), for SOAK_DURATION (60) s call `GET /api/users/messages`, every
 *     SOAK_POST_EVERY-th call a `POST`; throughput, p50/p99, errors, each service's RSS before/after;
 *  2. distinct subjects: SOAK_DISTINCT_SUBJECTS (10,000) subjects each make one call through
 *     user-service; its exchange cache (TOKEN_EXCHANGE_CACHE_SIZE = SOAK_CACHE_SIZE, 1,000) must
 *     stay at its bound (`baton_token_exchange_cache_entries` sampled from /metrics);
 *  3. `kill -9` the auth server and start it again: users with a cached exchange see no error,
 *     users without one get 503 + Retry-After, then 200 once it is back;
 *  4. `kill -9` message-service during POSTs and start it again: every POST answered 201 (in any
 *     phase) is in its recipient's inbox afterwards.
 * Prints a summary table; exits 1 when a target is missed. Needs the built bundles:
 * `npx nx run-many -t build -p auth-server user-service message-service` (the npm script does it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { positiveIntegerSetting as positive } from '../../bench/lib/env.mts';
import { freePort } from '../../bench/lib/server.mts';
import { logIn, prepareAccounts, type SoakAccounts } from './lib/accounts.mts';
import { callChain, StatusTally } from './lib/chain-client.mts';
import { Latencies } from './lib/latencies.mts';
import { scrapeMetric } from './lib/metrics.mts';
import { SoakService } from './lib/service.mts';

const settings = {
  durationSeconds: positive('SOAK_DURATION', 60),
  users: Math.max(4, positive('SOAK_USERS', 50)),
  distinctSubjects: positive('SOAK_DISTINCT_SUBJECTS', 10_000),
  cacheSize: positive('SOAK_CACHE_SIZE', 1_000),
  postEvery: positive('SOAK_POST_EVERY', 10),
  maxRssGrowthMiB: positive('SOAK_MAX_RSS_GROWTH_MIB', 64),
};
/** Concurrent subjects in phase 2 (each: a client_credentials request, then one call). */
const SUBJECT_CONCURRENCY = 16;
const AUTH_OUTAGE_MS = 3_000;
/** Shorter chain runs (SOAK_DURATION) are quick checks: their memory figures are printed, not judged. */
const FULL_LENGTH_SECONDS = 60;
const MESSAGE_OUTAGE_MS = 1_000;
const RECOVERY_DEADLINE_MS = 30_000;
const WATCHDOG_MARGIN_MINUTES = 20;

const METRICS_TOKEN = `soak-${randomBytes(16).toString('hex')}`;
const runDir = mkdtempSync(join(tmpdir(), 'baton-soak-'));
const services: SoakService[] = [];
const checks: { name: string; ok: boolean; detail: string }[] = [];
const rows: [string, string][] = [];

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
function check(name: string, ok: boolean, detail: string): void {
  checks.push({ name, ok, detail });
  log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (value: number | undefined): string => (value === undefined ? 'n/a' : value.toFixed(0));
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(0)}`;
const fixed = (value: number, digits = 1): string => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function cleanUp(): Promise<void> {
  for (const service of [...services].reverse()) await service.stop().catch(() => undefined);
  rmSync(runDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the services and removing ${runDir}`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function startServices(accounts: SoakAccounts): Promise<{ auth: SoakService; messages: SoakService; users: SoakService }> {
  const [authPort, messagePort, userPort] = [await freePort(), await freePort(), await freePort()];
  const authUrl = `http://127.0.0.1:${authPort}`;
  const common = { NODE_ENV: 'production', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', METRICS_TOKEN };
  const auth = new SoakService(
    'auth-server',
    authUrl,
    {
      ...common,
      AUTH_SERVER_PORT: String(authPort),
      AUTH_SERVER_ISSUER: authUrl,
      // Keys, cookie secrets and the SQLite database live here: the restart after kill -9 finds them.
      AUTH_SERVER_DATA_DIR: join(runDir, 'auth-server'),
      AUTH_SERVER_CONFIG_FILE: accounts.configFile,
      // Production mode on loopback: http issuer, keys generated in the run folder.
      AUTH_SERVER_ALLOW_INSECURE_ISSUER: 'true',
      AUTH_SERVER_ALLOW_GENERATED_KEYS: 'true',
      // The abuse limits would throttle a load test by design: off here (0 = no limit).
      AUTH_SERVER_TOKEN_RATE_PER_CLIENT: '0',
      AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER: '0',
      AUTH_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS: '0',
    },
    join(runDir, 'auth-server.log'),
  );
  const messages = new SoakService(
    'message-service',
    `http://127.0.0.1:${messagePort}`,
    {
      ...common,
      MESSAGE_SERVICE_PORT: String(messagePort),
      AUTH_ISSUER: authUrl,
      MESSAGE_SERVICE_DATABASE: join(runDir, 'message-service', 'messages.sqlite'),
      MESSAGE_SERVICE_SEED_DEMO_DATA: 'false',
      // The URL user-service's DPoP proofs name (htu): exchanged tokens must come bound (issue 16).
      MESSAGE_SERVICE_PUBLIC_URL: `http://127.0.0.1:${messagePort}`,
    },
    join(runDir, 'message-service.log'),
  );
  const users = new SoakService(
    'user-service',
    `http://127.0.0.1:${userPort}`,
    {
      ...common,
      USER_SERVICE_PORT: String(userPort),
      AUTH_ISSUER: authUrl,
      MESSAGE_SERVICE_URL: messages.url,
      TOKEN_EXCHANGE_CLIENT_SECRET: accounts.userServiceSecret,
      TOKEN_EXCHANGE_CACHE_SIZE: String(settings.cacheSize),
    },
    join(runDir, 'user-service.log'),
  );
  for (const service of [auth, messages, users]) {
    services.push(service);
    const started = performance.now();
    await service.start();
    log(`  ${service.app} ready at ${service.url} in ${fixed((performance.now() - started) / 1000)} s (pid ${service.pid})`);
  }
  return { auth, messages, users };
}

/** Every message acknowledged with 201, by the user who sent it (to themselves). */
const acknowledged = new Map<string, Set<string>>();
function acknowledge(username: string, id: string): void {
  const ids = acknowledged.get(username) ?? new Set<string>();
  ids.add(id);
  acknowledged.set(username, ids);
}

async function main(): Promise<void> {
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start, Node ${process.versions.node}`;
  log(`soak: ${settings.users} virtual users x ${settings.durationSeconds} s, ${settings.distinctSubjects} distinct subjects, exchange cache bound ${settings.cacheSize}; loopback`);
  log(`machine: ${machine}`);
  log(`run folder: ${runDir}`);

  log('\n[setup] accounts and services');
  // The demo's 300 s, or longer when the run is: a user's token must outlive phase 1.
  const accounts = await prepareAccounts(runDir, settings.users, settings.distinctSubjects, Math.max(300, settings.durationSeconds + 120));
  const { auth, messages, users: userService } = await startServices(accounts);
  const all = [auth, userService, messages];
  const idle = all.map((service) => service.rssMiB());

  // ---- 1. the chain under load ----------------------------------------------------------------
  log(`\n[1] chain: ${settings.users} users, ${settings.durationSeconds} s, GET /api/users/messages, every ${settings.postEvery}th call a POST`);
  let started = performance.now();
  let tokens = await logIn(auth.url, runDir, accounts.users);
  log(`  ${tokens.length} users signed in through the login and consent pages in ${fixed((performance.now() - started) / 1000)} s`);

  const warmupMs = Math.min(5_000, (settings.durationSeconds * 1000) / 6);
  const runUsers = async (durationMs: number, record: boolean) => {
    const latencies = new Latencies();
    const tally = new StatusTally();
    let gets = 0;
    let posts = 0;
    const stopAt = performance.now() + durationMs;
    await Promise.all(
      accounts.users.map(async (user, index) => {
        const token = tokens[index] ?? '';
        for (let call = 1; performance.now() < stopAt; call += 1) {
          const post = call % settings.postEvery === 0;
          const outcome = await callChain(
            userService.url,
            token,
            post ? { kind: 'post', to: user.username, text: `soak ${user.username} #${call}` } : { kind: 'get' },
          );
          if (outcome.messageId !== undefined) acknowledge(user.username, outcome.messageId);
          if (!record) continue;
          tally.add(outcome.status === (post ? 201 : 200) ? 200 : outcome.status);
          if (outcome.status !== 0) latencies.add(outcome.ms);
          if (post) posts += 1;
          else gets += 1;
        }
      }),
    );
    return { latencies, tally, gets, posts };
  };
  await runUsers(warmupMs, false);
  const heapUsed = (): Promise<number[]> =>
    Promise.all(all.map(async (service) => ((await scrapeMetric(service.url, METRICS_TOKEN, 'nodejs_heap_size_used_bytes')) ?? Number.NaN) / 2 ** 20));
  const before = all.map((service) => service.rssMiB());
  const heapBefore = await heapUsed();
  // RSS sampled every second through the run (V8's heap in use at the half-way point): the second
  // half shows whether memory levels off or keeps growing with the calls.
  const samples: (number | undefined)[][] = [];
  const sampler = setInterval(() => samples.push(all.map((service) => service.rssMiB())), 1_000);
  let heapHalfway: Promise<number[]> | undefined;
  const heapTimer = setTimeout(() => (heapHalfway = heapUsed()), (settings.durationSeconds * 1000) / 2);
  started = performance.now();
  const chain = await runUsers(settings.durationSeconds * 1000, true);
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(sampler);
  clearTimeout(heapTimer);
  const after = all.map((service) => service.rssMiB());
  const heapAfter = await heapUsed();
  const heapMid = (await heapHalfway) ?? heapBefore;
  const halfway = samples[Math.floor(samples.length / 2)] ?? before;
  const peak = all.map((_, index) => Math.max(...samples.map((sample) => sample[index] ?? 0), after[index] ?? 0));
  const errors = chain.tally.other([200]);
  const throughput = chain.tally.total / elapsed;
  log(`  ${chain.tally.total} calls (${chain.gets} GET, ${chain.posts} POST) in ${fixed(elapsed)} s: ${fixed(throughput, 0)} calls/s, p50 ${fixed(chain.latencies.percentile(50))} ms, p99 ${fixed(chain.latencies.percentile(99))} ms; answers: ${chain.tally}`);
  rows.push(['chain: calls (GET / POST)', `${chain.tally.total} (${chain.gets} / ${chain.posts}) in ${fixed(elapsed)} s`]);
  rows.push(['chain: throughput', `${fixed(throughput, 0)} calls/s`]);
  rows.push(['chain: latency p50 / p99', `${fixed(chain.latencies.percentile(50))} / ${fixed(chain.latencies.percentile(99))} ms`]);
  rows.push(['chain: errors (not 200/201, or no answer)', String(errors)]);
  check('chain errors', errors === 0, `${errors} of ${chain.tally.total} (target 0)`);
  all.forEach((service, index) => {
    const series = samples.filter((_, second) => (second + 1) % 10 === 0).map((sample) => mib(sample[index]));
    log(`  ${service.app} RSS every 10 s (MiB): ${mib(before[index])}, ${series.join(', ')}`);
  });
  all.forEach((service, index) => {
    const growth = (after[index] ?? 0) - (before[index] ?? 0);
    const lateGrowth = (after[index] ?? 0) - (halfway[index] ?? 0);
    const heapLateGrowth = (heapAfter[index] ?? 0) - (heapMid[index] ?? 0);
    rows.push([
      `${service.app} RSS (MiB): idle / before / half-way / after the chain (peak)`,
      `${mib(idle[index])} / ${mib(before[index])} / ${mib(halfway[index])} / ${mib(after[index])} (${mib(peak[index])}): ${signed(growth)} over the run, ${signed(lateGrowth)} over its second half`,
    ]);
    rows.push([
      `${service.app} V8 heap in use (MiB): before / half-way / after the chain`,
      `${mib(heapBefore[index])} / ${mib(heapMid[index])} / ${mib(heapAfter[index])}`,
    ]);
    // In a short run memory is still climbing to its working level: only a full-length run is judged.
    if (settings.durationSeconds < FULL_LENGTH_SECONDS) {
      log(`  (not judged) ${service.app} memory: the run is shorter than ${FULL_LENGTH_SECONDS} s`);
      return;
    }
    // Judged on RSS only: one sample of V8's heap in use swings by tens of MiB with the moment of
    // the last garbage collection (reported for a look, not a verdict).
    check(
      `${service.app} memory levels off`,
      lateGrowth <= settings.maxRssGrowthMiB,
      `RSS ${signed(lateGrowth)} MiB over the second half of the chain (bound +${settings.maxRssGrowthMiB}), ${signed(growth)} MiB over the whole run; heap in use ${signed(heapLateGrowth)} MiB over the second half`,
    );
  });

  // ---- 2. distinct subjects through user-service ------------------------------------------------
  log(`\n[2] ${settings.distinctSubjects} distinct subjects through user-service (exchange cache bound ${settings.cacheSize})`);
  const subjectTally = new StatusTally();
  let highest = 0;
  let nextSubject = 0;
  started = performance.now();
  const userServiceBefore = userService.rssMiB();
  let userServiceHalfway: number | undefined;
  await Promise.all(
    Array.from({ length: SUBJECT_CONCURRENCY }, async () => {
      while (nextSubject < accounts.subjectClients.length) {
        const client = accounts.subjectClients[nextSubject];
        nextSubject += 1;
        if (client === undefined) continue;
        const tokenResponse = await fetch(`${auth.url}/oauth2/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
          },
          body: 'grant_type=client_credentials',
        });
        const tokenBody = (await tokenResponse.json()) as { access_token?: string };
        if (tokenResponse.status !== 200 || tokenBody.access_token === undefined) {
          throw new Error(`client_credentials for ${client.clientId} answered ${tokenResponse.status}`);
        }
        subjectTally.add((await callChain(userService.url, tokenBody.access_token, { kind: 'get' })).status);
        if (subjectTally.total === Math.floor(accounts.subjectClients.length / 2)) userServiceHalfway = userService.rssMiB();
        if (nextSubject % 500 === 0) {
          highest = Math.max(highest, (await scrapeMetric(userService.url, METRICS_TOKEN, 'baton_token_exchange_cache_entries')) ?? 0);
        }
      }
    }),
  );
  const entries = (await scrapeMetric(userService.url, METRICS_TOKEN, 'baton_token_exchange_cache_entries')) ?? Number.NaN;
  const misses = (await scrapeMetric(userService.url, METRICS_TOKEN, 'baton_token_exchange_cache_misses_total')) ?? Number.NaN;
  highest = Math.max(highest, entries);
  const subjectsElapsed = (performance.now() - started) / 1000;
  log(`  ${subjectTally.total} subjects in ${fixed(subjectsElapsed)} s; answers: ${subjectTally}; cache entries now ${entries}, highest sampled ${highest}; cache misses so far ${misses}`);
  rows.push(['distinct subjects: calls, answered 200', `${subjectTally.total}, ${subjectTally.count(200)} in ${fixed(subjectsElapsed)} s`]);
  rows.push(['distinct subjects: exchange cache entries (highest sampled / end)', `${highest} / ${entries} (bound ${settings.cacheSize})`]);
  const userServiceAfter = userService.rssMiB();
  rows.push(['distinct subjects: RSS user-service before / half-way / after (MiB)', `${mib(userServiceBefore)} / ${mib(userServiceHalfway)} / ${mib(userServiceAfter)}`]);
  check('distinct subjects answered', subjectTally.count(200) === settings.distinctSubjects, `${subjectTally.count(200)} of ${settings.distinctSubjects} answered 200`);
  check('exchange cache at its bound', highest <= settings.cacheSize && entries === Math.min(settings.cacheSize, settings.distinctSubjects + settings.users), `highest ${highest}, end ${entries}, bound ${settings.cacheSize}`);
  const subjectsLateGrowth = (userServiceAfter ?? 0) - (userServiceHalfway ?? 0);
  check(
    'user-service RSS levels off over the distinct subjects',
    subjectsLateGrowth <= settings.maxRssGrowthMiB,
    `${signed(subjectsLateGrowth)} MiB over the second half of the subjects (bound +${settings.maxRssGrowthMiB} MiB)`,
  );

  // ---- 3. kill -9 the auth server --------------------------------------------------------------
  log('\n[3] kill -9 the auth server during calls, then start it again');
  // Fresh sign-ins: the first half warm their exchange now (cached), the second half never has.
  tokens = await logIn(auth.url, runDir, accounts.users);
  const half = Math.floor(accounts.users.length / 2);
  const cachedUsers = accounts.users.slice(0, half).map((user, index) => ({ user, token: tokens[index] ?? '' }));
  const uncachedUsers = accounts.users.slice(half).map((user, index) => ({ user, token: tokens[half + index] ?? '' }));
  for (const { token } of cachedUsers) {
    const warm = await callChain(userService.url, token, { kind: 'get' });
    if (warm.status !== 200) throw new Error(`warming a cached user answered ${warm.status}`);
  }
  const cachedTally = new StatusTally();
  const outageTally = new StatusTally();
  const recoveryTally = new StatusTally();
  let outageWithRetryAfter = 0;
  let cachedRunning = true;
  const cachedLoop = Promise.all(
    cachedUsers.map(async ({ token }) => {
      while (cachedRunning) {
        cachedTally.add((await callChain(userService.url, token, { kind: 'get' })).status);
        await sleep(20);
      }
    }),
  );
  await sleep(500);
  await auth.kill();
  const killedAt = performance.now();
  let readyAt = Number.POSITIVE_INFINITY;
  log(`  auth server killed (SIGKILL); ${cachedUsers.length} cached users keep calling, ${uncachedUsers.length} uncached users call every 200 ms until answered 200`);
  // The uncached users call from the kill until they are answered 200: a call that starts before
  // the restarted server is ready must get 503 with Retry-After, and each must get 200 after it.
  const uncachedLoop = Promise.all(
    uncachedUsers.map(async ({ token }) => {
      for (;;) {
        const callStarted = performance.now();
        const outcome = await callChain(userService.url, token, { kind: 'get' });
        if (callStarted < readyAt && outcome.status !== 200) {
          outageTally.add(outcome.status);
          if (outcome.status === 503 && outcome.retryAfter !== null) outageWithRetryAfter += 1;
        } else {
          recoveryTally.add(outcome.status);
        }
        // A 200 may come a moment before the readiness poll has noticed the server is back: 0 s.
        if (outcome.status === 200) return Math.max(0, performance.now() - readyAt);
        if (performance.now() - killedAt > AUTH_OUTAGE_MS + RECOVERY_DEADLINE_MS) return Number.POSITIVE_INFINITY;
        await sleep(200);
      }
    }),
  );
  await sleep(AUTH_OUTAGE_MS);
  const restartStarted = performance.now();
  await auth.start();
  readyAt = performance.now();
  log(`  auth server started again, ready after ${fixed((readyAt - restartStarted) / 1000)} s (down ${fixed((readyAt - killedAt) / 1000)} s)`);
  const recoveries = await uncachedLoop;
  await sleep(500);
  cachedRunning = false;
  await cachedLoop;
  const slowest = Math.max(...recoveries);
  log(`  cached users: ${cachedTally}; uncached, calls started while it was down: ${outageTally} (${outageWithRetryAfter} with Retry-After); after it was ready: ${recoveryTally}`);
  rows.push(['auth-server kill -9: cached users while it is down and restarting', `${cachedTally.total} calls: ${cachedTally}`]);
  rows.push(['auth-server kill -9: uncached users while it is down', `${outageTally} (${outageWithRetryAfter} with Retry-After)`]);
  rows.push(['auth-server kill -9: down for; restart to ready; uncached all answered 200 within', `${fixed((readyAt - killedAt) / 1000)} s; ${fixed((readyAt - restartStarted) / 1000)} s; ${Number.isFinite(slowest) ? `${fixed(slowest / 1000, 2)} s of ready` : 'never'}`]);
  check('cached users see no error while the auth server is down', cachedTally.total > 0 && cachedTally.other([200]) === 0, `${cachedTally}`);
  check(
    'uncached users get 503 with Retry-After while it is down',
    outageTally.total > 0 && outageTally.other([503]) === 0 && outageWithRetryAfter === outageTally.total,
    `${outageTally}, ${outageWithRetryAfter} with Retry-After`,
  );
  check(
    'uncached users recover after the restart',
    recoveries.every((ms) => Number.isFinite(ms)) && recoveryTally.other([200]) === 0,
    `all ${uncachedUsers.length} answered 200 within ${fixed(slowest / 1000, 2)} s of ready; after ready: ${recoveryTally}`,
  );

  // ---- 4. kill -9 message-service during POSTs ---------------------------------------------------
  log('\n[4] kill -9 message-service during POSTs, then start it again');
  const postTally = new StatusTally();
  let posting = true;
  let acknowledgedHere = 0;
  const postLoop = Promise.all(
    accounts.users.map(async (user, index) => {
      const token = tokens[index] ?? '';
      for (let call = 1; posting; call += 1) {
        const outcome = await callChain(userService.url, token, { kind: 'post', to: user.username, text: `fault ${user.username} #${call}` });
        postTally.add(outcome.status);
        if (outcome.messageId !== undefined) {
          acknowledge(user.username, outcome.messageId);
          acknowledgedHere += 1;
        }
        if (outcome.status !== 201) await sleep(100);
      }
    }),
  );
  await sleep(2_000);
  await messages.kill();
  const messagesKilledAt = performance.now();
  log('  message-service killed (SIGKILL) with POSTs in flight');
  await sleep(MESSAGE_OUTAGE_MS);
  await messages.start();
  log(`  message-service started again, ready after ${fixed((performance.now() - messagesKilledAt) / 1000)} s`);
  await sleep(2_000);
  posting = false;
  await postLoop;
  log(`  POST answers: ${postTally}`);

  // Every acknowledged message, from every phase, must be in its recipient's inbox now.
  let expected = 0;
  let lost = 0;
  const readTally = new StatusTally();
  await Promise.all(
    accounts.users.map(async (user, index) => {
      const ids = acknowledged.get(user.username) ?? new Set<string>();
      expected += ids.size;
      const found = new Set<string>();
      let cursor: string | null = null;
      do {
        const query = `?limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const page = await callChain(userService.url, tokens[index] ?? '', { kind: 'get', query });
        readTally.add(page.status);
        if (page.status !== 200) break;
        const body = page.body as { messages: { id: string }[]; nextCursor: string | null };
        for (const message of body.messages) found.add(message.id);
        cursor = body.nextCursor;
      } while (cursor !== null);
      for (const id of ids) if (!found.has(id)) lost += 1;
    }),
  );
  log(`  acknowledged (201) messages, all phases: ${expected}; missing after the restart: ${lost}; inbox reads: ${readTally}`);
  rows.push(['message-service kill -9: POST answers', `${postTally}`]);
  rows.push(['message-service kill -9: messages answered 201 (all phases) / missing after restart', `${expected} / ${lost}`]);
  check('nothing acknowledged is lost', lost === 0 && readTally.other([200]) === 0 && acknowledgedHere > 0, `${lost} of ${expected} missing`);

  const end = all.map((service) => service.rssMiB());
  all.forEach((service, index) => rows.push([`RSS ${service.app} at the end (MiB)`, mib(end[index])]));
  log(`\nload average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  log('\n| soak | result |\n| --- | --- |');
  for (const [name, value] of rows) log(`| ${name} | ${value} |`);
  log(`| checks passed | ${checks.filter((c) => c.ok).length} of ${checks.length} |`);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    log(`\nmissed targets:\n${failed.map((c) => `  ${c.name}: ${c.detail}`).join('\n')}`);
    process.exitCode = 1;
  }
}

// Bounded even when a service hangs: everything past phase 1 takes a few minutes at most.
const watchdog = setTimeout(
  () => {
    log(`soak: still running after SOAK_DURATION + ${WATCHDOG_MARGIN_MINUTES} min; stopping the services`);
    void cleanUp().finally(() => process.exit(1));
  },
  settings.durationSeconds * 1000 + WATCHDOG_MARGIN_MINUTES * 60_000,
);
watchdog.unref();

try {
  await main();
} catch (error) {
  log(`soak failed: ${error instanceof Error ? error.message : String(error)} (service logs in ${runDir} are removed; rerun with SOAK_KEEP=1 to keep them)`);
  process.exitCode = 1;
} finally {
  if (process.env['SOAK_KEEP'] === '1') {
    for (const service of [...services].reverse()) await service.stop().catch(() => undefined);
    log(`kept ${runDir}`);
  } else {
    await cleanUp();
  }
  // Loops of a phase that failed half-way may still be calling: the run ends here regardless.
  process.exit();
}
