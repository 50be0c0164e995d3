#!/usr/bin/env node
// The scale stack's load test (tools/compose/test-compose-scale.sh runs it on the host).
//
//   node tools/compose/scale-load.mjs wait-ready <seconds>   until the balancer sees every replica UP
//   node tools/compose/scale-load.mjs run                   the load with the faults under it
//
// Environment (set by the script): BATON_SCALE_AUTH_URL, _USER_URL, _MESSAGE_URL (the balancer's
// published ports), BATON_SCALE_STATS_URL (HAProxy's CSV statistics), BATON_SCALE_CONTAINERS
// (`auth-server-1=<id>,…`), BATON_SCALE_DOCKER (the docker CLI; DOCKER_HOST names the engine),
// BATON_SCALE_ISSUER (default http://localhost:9001), BATON_SCALE_WORKERS (default 6).
//
// Virtual users (alice and bob, alternately) sign in with the authorization code flow and PKCE
// through the login and consent forms, then loop: post a message to the other user through
// user-service (a token exchange, then message-service), read their inbox, ask who they are,
// refresh their tokens now and then, and sign in again from a new "browser" now and then. Meanwhile:
//   (a) sigterm: SIGTERM one replica of each service in turn, wait for its exit, start it again,
//       wait until the balancer has it back → no request may fail;
//   (b) kill: kill -9 one replica of each service, start it again → only requests in flight at a
//       kill may fail (counted against the number in flight); afterwards every acknowledged (201)
//       message is in its recipient's inbox, every user's refresh token refreshes and every user's
//       browser session still signs in without the login form;
//   (c) rotate: rotate-keys.js in one auth-server replica → no request may fail; tokens signed
//       with the new key appear, and every access token issued during the run still verifies.
// Prints the counts; exits 1 on any failure or loss. Tokens are never printed (a jti at most).

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const ISSUER = new URL(process.env.BATON_SCALE_ISSUER ?? 'http://localhost:9001');
const AUTH_URL = required('BATON_SCALE_AUTH_URL');
const USER_URL = required('BATON_SCALE_USER_URL');
const STATS_URL = process.env.BATON_SCALE_STATS_URL ?? '';
const DOCKER = process.env.BATON_SCALE_DOCKER ?? 'docker';
const CONTAINERS = Object.fromEntries(
  (process.env.BATON_SCALE_CONTAINERS ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=')),
);
const WORKERS = Number(process.env.BATON_SCALE_WORKERS ?? 6);
const CLIENT_ID = 'demo-app';
const REDIRECT_URI = 'http://127.0.0.1:7/callback';
const SCOPE = 'openid user.read message.read message.write';
const PASSWORDS = { alice: 'alice-password', bob: 'bob-password' };
const REQUEST_TIMEOUT_MS = 30_000;
const SERVICES = ['auth-server', 'user-service', 'message-service'];
const ALL_REPLICAS = SERVICES.flatMap((service) => [`${service}-1`, `${service}-2`]);

function required(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const now = () => performance.now();
const elapsed = (since) => `${((now() - since) / 1000).toFixed(1)} s`;
function say(line) {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Recording: every request, with the phase it started in, its outcome and which replica answered.

let phase = 'setup';
const inFlight = new Set();
/** @type {{kind: string, phase: string, startedAt: number, endedAt: number, ok: boolean, status: number, detail: string, replica: string}[]} */
const records = [];
/** Kills of phase (b): the moment each was sent and returned. */
const kills = [];
const replicasSeen = new Map();

/**
 * One HTTP request, recorded. `expect(status)` says whether the answer is a success. Never throws:
 * a network error or a timeout is a failed record with status 0.
 */
async function call(kind, url, init, expect) {
  const entry = { kind, phase, startedAt: now(), endedAt: 0, ok: false, status: 0, detail: '', replica: '' };
  inFlight.add(entry);
  let response;
  let text = '';
  try {
    // One connection per request: a request sent on a kept-alive connection just as the other side
    // closes it dies without an answer, a race of this script's client, not of a replica (behind the
    // balancer it failed two requests of a run with no balancer log line: the balancer never had them).
    const headers = { ...init?.headers, connection: 'close' };
    response = await fetch(url, { redirect: 'manual', ...init, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    text = await response.text();
    entry.status = response.status;
    entry.replica = response.headers.get('x-baton-replica') ?? '';
    entry.ok = expect(response.status);
    if (!entry.ok) entry.detail = errorCodeOf(text);
  } catch (error) {
    entry.detail = error instanceof Error ? `${error.name}: ${error.message}${error.cause ? ` (${error.cause.code ?? error.cause.message})` : ''}` : String(error);
  } finally {
    entry.endedAt = now();
    inFlight.delete(entry);
    records.push(entry);
  }
  if (entry.replica) replicasSeen.set(entry.replica, (replicasSeen.get(entry.replica) ?? 0) + 1);
  return { ok: entry.ok, status: entry.status, headers: response?.headers, text, json: () => JSON.parse(text) };
}

/** The `error` code of a JSON error answer, or the start of the text (never a token: errors carry none). */
function errorCodeOf(text) {
  try {
    const body = JSON.parse(text);
    return [body.error, body.error_description ?? body.message].filter(Boolean).join(': ').slice(0, 160);
  } catch {
    return text.replace(/\s+/g, ' ').slice(0, 120);
  }
}

// ---------------------------------------------------------------------------------------------
// A browser: cookies by name and path, and the issuer's origin mapped to the balancer's port.

class Browser {
  cookies = new Map();

  store(headers) {
    for (const line of headers?.getSetCookie?.() ?? []) {
      const [pair, ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key, attributeValue = ''] = attribute.split('=');
        const lower = key.trim().toLowerCase();
        if (lower === 'path') path = attributeValue.trim() || '/';
        if (lower === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const path = new URL(url).pathname;
    const matching = [...this.cookies.values()].filter((cookie) => path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`));
    return matching.length === 0 ? undefined : matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }
}

/** A URL the auth server handed out (its issuer's origin) as reached from here: the balancer. */
function throughBalancer(location, base) {
  const url = new URL(location, base);
  if (url.origin === ISSUER.origin) return new URL(`${url.pathname}${url.search}`, AUTH_URL);
  return url;
}

function unescapeHtml(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * The authorization code flow with PKCE, as a browser without JavaScript: authorize, the login
 * form (unless the browser's session is still signed in), the consent form (when asked), the
 * code, the token. Returns { tokens, loginShown } or undefined when a step failed (recorded).
 */
async function signIn(browser, username) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  let url = new URL('/oauth2/authorize', AUTH_URL);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  let form;
  let kind = 'sign-in: GET authorize';
  let loginShown = false;
  for (let step = 0; step < 12; step += 1) {
    const cookie = browser.header(url);
    const response = await call(
      kind,
      url,
      {
        method: form === undefined ? 'GET' : 'POST',
        headers: {
          ...(cookie === undefined ? {} : { cookie }),
          ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        ...(form === undefined ? {} : { body: form }),
      },
      (status) => status < 400,
    );
    if (!response.ok) return undefined;
    browser.store(response.headers);
    form = undefined;
    const location = response.headers.get('location');
    if (response.status >= 300 && location !== null) {
      const next = new URL(location, url);
      if (next.href.startsWith(REDIRECT_URI)) {
        const code = next.searchParams.get('code');
        if (next.searchParams.get('state') !== state || code === null) {
          recordFailure('sign-in: callback', `no code (${next.searchParams.get('error') ?? 'state mismatch'})`);
          return undefined;
        }
        const token = await call(
          'token: authorization_code',
          new URL('/oauth2/token', AUTH_URL),
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, code_verifier: verifier }),
          },
          (status) => status === 200,
        );
        return token.ok ? { tokens: token.json(), loginShown } : undefined;
      }
      url = throughBalancer(location, url);
      kind = 'sign-in: GET interaction';
      continue;
    }
    const page = response.text;
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (action === undefined) {
      recordFailure('sign-in: page', `no form on ${url.pathname} (${response.status})`);
      return undefined;
    }
    url = throughBalancer(unescapeHtml(action), url);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    const fields = csrf === undefined ? [] : [['csrf', unescapeHtml(csrf)]];
    if (url.pathname.endsWith('/login')) {
      loginShown = true;
      kind = 'sign-in: POST login';
      form = new URLSearchParams([...fields, ['username', username], ['password', PASSWORDS[username]]]);
    } else if (url.pathname.endsWith('/confirm')) {
      kind = 'sign-in: POST consent';
      const offered = [...page.matchAll(/name="scope" value="([^"]+)"/g)].map((match) => ['scope', unescapeHtml(match[1])]);
      form = new URLSearchParams([...fields, ...offered]);
    } else {
      recordFailure('sign-in: page', `unexpected form ${url.pathname}`);
      return undefined;
    }
  }
  recordFailure('sign-in: page', 'did not finish in 12 steps');
  return undefined;
}

/** A failure found in an answer that was itself a success (e.g. a page without its form). */
function recordFailure(kind, detail) {
  const at = now();
  records.push({ kind, phase, startedAt: at, endedAt: at, ok: false, status: 0, detail, replica: '' });
}

function refresh(refreshToken) {
  return call(
    'token: refresh_token',
    new URL('/oauth2/token', AUTH_URL),
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID }),
    },
    (status) => status === 200,
  );
}

function jwtParts(jwt) {
  const [header, payload] = jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
}

// ---------------------------------------------------------------------------------------------
// Virtual users.

/** Every access token issued during the run, with the key that signed it (checked at the end). */
const issuedTokens = [];
/** Every message acknowledged with 201: id → recipient. */
const acknowledged = new Map();
let sentCounter = 0;

class VirtualUser {
  constructor(index) {
    this.index = index;
    this.username = index % 2 === 0 ? 'alice' : 'bob';
    this.peer = index % 2 === 0 ? 'bob' : 'alice';
    /** The browser of the first sign-in: its session must survive everything. */
    this.browser = new Browser();
    this.tokens = undefined;
    this.iteration = 0;
  }

  adopt(tokens) {
    this.tokens = tokens;
    const { header, payload } = jwtParts(tokens.access_token);
    issuedTokens.push({ token: tokens.access_token, kid: header.kid, exp: payload.exp, jti: payload.jti, phase });
  }

  async signInWith(browser) {
    const result = await signIn(browser, this.username);
    if (result !== undefined) this.adopt(result.tokens);
    return result;
  }

  bearer() {
    return { authorization: `Bearer ${this.tokens.access_token}` };
  }

  async send() {
    sentCounter += 1;
    const text = `scale ${process.pid} #${sentCounter} from ${this.username}`;
    const response = await call(
      'user-service: POST /api/users/messages',
      new URL('/api/users/messages', USER_URL),
      { method: 'POST', headers: { ...this.bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ to: this.peer, text }) },
      (status) => status === 201,
    );
    if (response.ok) acknowledged.set(response.json().id, this.peer);
  }

  list() {
    return call('user-service: GET /api/users/messages', new URL('/api/users/messages?limit=5', USER_URL), { headers: this.bearer() }, (status) => status === 200);
  }

  me() {
    return call('user-service: GET /api/users/me', new URL('/api/users/me', USER_URL), { headers: this.bearer() }, (status) => status === 200);
  }

  /**
   * Refreshes. A refresh whose answer was lost (a kill under it) may have rotated the token at the
   * server: the old one is then spent, so the user signs in again with their browser (its session).
   */
  async refresh() {
    const response = await refresh(this.tokens.refresh_token);
    if (response.ok) this.adopt(response.json());
    else await this.signInWith(this.browser);
  }

  async loop(stopped) {
    while (!stopped()) {
      this.iteration += 1;
      await this.send();
      await this.list();
      await this.me();
      if (this.iteration % 5 === 0) await this.refresh();
      // Now and then a new browser: the full login and consent forms again.
      if (this.iteration % 12 === this.index % 12) await this.signInWith(new Browser());
      await sleep(40);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The balancer's view and the containers.

/** The balancer's rows of the six replicas (HAProxy's CSV statistics), by replica name. */
async function balancerRows() {
  const response = await fetch(STATS_URL, { signal: AbortSignal.timeout(5_000) });
  const [header, ...lines] = (await response.text()).trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const rows = new Map();
  for (const line of lines) {
    const row = Object.fromEntries(line.split(',').map((value, index) => [columns[index], value]));
    if (ALL_REPLICAS.includes(row.svname)) rows.set(row.svname, row);
  }
  return rows;
}

async function balancerStatus() {
  return new Map([...(await balancerRows())].map(([replica, row]) => [replica, row.status]));
}

async function waitUntilUp(replicas, timeoutMs) {
  const deadline = now() + timeoutMs;
  let last = new Map();
  while (now() < deadline) {
    try {
      last = await balancerStatus();
      if (replicas.every((replica) => last.get(replica) === 'UP')) return;
    } catch {
      // the balancer itself is starting
    }
    await sleep(250);
  }
  throw new Error(`not UP in the balancer after ${timeoutMs / 1000} s: ${replicas.map((replica) => `${replica} ${last.get(replica) ?? '?'}`).join(', ')}`);
}

function docker(args, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    execFile(DOCKER, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`docker ${args[0]} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout.trim());
    });
  });
}

/**
 * Sends `signal` to a replica's container, waits for it to exit (docker kill also keeps the restart
 * policy from starting it), starts it again and waits until the balancer has it back.
 * Returns the exit code and the moments the signal was sent and returned.
 */
async function bounce(replica, signal) {
  const id = CONTAINERS[replica];
  if (!id) throw new Error(`no container id for ${replica}`);
  const sentAt = now();
  const inFlightAtSignal = inFlight.size;
  await docker(['kill', '-s', signal, id]);
  const returnedAt = now();
  const exitCode = Number(await docker(['wait', id], 60_000));
  const exitedAfter = elapsed(sentAt);
  await docker(['start', id]);
  await waitUntilUp([replica], 120_000);
  return { replica, signal, exitCode, sentAt, returnedAt, inFlightAtSignal, exitedAfter, backAfter: elapsed(sentAt) };
}

// ---------------------------------------------------------------------------------------------

async function waitReady(seconds) {
  const started = now();
  await waitUntilUp(ALL_REPLICAS, seconds * 1000);
  const discovery = await fetch(new URL('/.well-known/openid-configuration', AUTH_URL)).then((response) => response.json());
  if (discovery.issuer !== ISSUER.href.replace(/\/$/, '')) throw new Error(`the balancer's discovery names issuer ${discovery.issuer}, expected ${ISSUER.href}`);
  say(`all ${ALL_REPLICAS.length} replicas UP in the balancer after ${elapsed(started)}; issuer ${discovery.issuer}`);
}

async function jwksKids() {
  const response = await call('auth-server: GET jwks', new URL('/oauth2/jwks', AUTH_URL), {}, (status) => status === 200);
  return response.ok ? response.json().keys.map((key) => key.kid) : [];
}

async function run() {
  const runStarted = now();
  const users = Array.from({ length: WORKERS }, (_, index) => new VirtualUser(index));
  phase = 'setup';
  for (const user of users) {
    const result = await user.signInWith(user.browser);
    if (result === undefined || !result.loginShown) throw new Error(`${user.username} could not sign in at the start (see the failures below)`);
  }
  say(`${users.length} users signed in (login and consent forms through the balancer)`);

  let stopping = false;
  phase = 'warm-up';
  const loops = users.map((user) => user.loop(() => stopping));
  const phaseLog = [];
  try {
    await sleep(8_000);

    // (a) SIGTERM one replica of each service in turn.
    phase = 'sigterm';
    for (const service of SERVICES) {
      const result = await bounce(`${service}-1`, 'TERM');
      phaseLog.push(result);
      say(`(a) SIGTERM ${result.replica}: exited ${result.exitCode} after ${result.exitedAfter}, back in the balancer after ${result.backAfter}`);
      if (result.exitCode !== 0) throw new Error(`${result.replica} exited with ${result.exitCode} on SIGTERM, not 0 (graceful)`);
      await sleep(2_000);
    }

    // (b) kill -9 one replica of each service.
    phase = 'kill';
    for (const service of SERVICES) {
      const result = await bounce(`${service}-2`, 'KILL');
      kills.push(result);
      phaseLog.push(result);
      say(`(b) kill -9 ${result.replica}: ${result.inFlightAtSignal} request(s) in flight, exited ${result.exitCode}, back in the balancer after ${result.backAfter}`);
      await sleep(2_000);
    }

    // (c) rotate the signing key in one replica; every replica signs with it after the delay.
    phase = 'rotate';
    const kidsBefore = await jwksKids();
    // Longer than the resource servers' JWKS refetch interval (15 s by default in
    // @baton/resource-server) plus the few seconds replicas take to see a new key set: a resource
    // server that fetched the JWKS just before the rotation may refetch when the first token
    // signed with the new key reaches it. A shorter delay fails requests with 401 unknown key.
    const activationDelay = 25;
    const rotation = await docker(['exec', CONTAINERS['auth-server-1'], 'node', 'rotate-keys.js', `--activation-delay=${activationDelay}`]);
    say(`(c) rotate-keys in auth-server-1 (keys before: ${kidsBefore.join(' ')}):`);
    for (const line of rotation.split('\n')) say(`      ${line}`);
    const rotatedAt = Date.now();
    await sleep((activationDelay + 10) * 1000);
    const kidsAfter = await jwksKids();
    const newKids = kidsAfter.filter((kid) => !kidsBefore.includes(kid));
    if (newKids.length === 0) throw new Error(`no new key in the JWKS after the rotation (${kidsAfter.join(' ')})`);
    const signedWithNew = issuedTokens.filter((token) => newKids.includes(token.kid));
    const signedAfterActivation = issuedTokens.filter((token) => token.phase === 'rotate' && jwtIssuedAt(token) * 1000 >= rotatedAt + (activationDelay + 2) * 1000);
    const stale = signedAfterActivation.filter((token) => !newKids.includes(token.kid));
    say(`    new key ${newKids.join(' ')} in the JWKS of the balancer; ${signedWithNew.length} token(s) signed with it; tokens issued from 2 s after activation on: ${signedAfterActivation.length}, ${stale.length} with an old key`);
    if (signedWithNew.length === 0) throw new Error('no token was signed with the new key after its activation');
    if (stale.length > 0) throw new Error(`${stale.length} token(s) issued 2 s after the activation were still signed with an old key (jti ${stale[0].jti})`);

    phase = 'cool-down';
    await sleep(4_000);
  } finally {
    stopping = true;
    await Promise.all(loops);
  }

  // After everything: sessions, refresh tokens, messages, tokens.
  phase = 'after';
  let problems = 0;
  const problem = (line) => {
    problems += 1;
    say(`FAIL ${line}`);
  };

  let refreshed = 0;
  for (const user of users) {
    const response = await refresh(user.tokens.refresh_token);
    if (response.ok) {
      refreshed += 1;
      user.adopt(response.json());
    } else problem(`user ${user.index} (${user.username}): refresh after the kills answered ${response.status}`);
  }
  let sessionsKept = 0;
  for (const user of users) {
    const result = await signIn(user.browser, user.username);
    if (result === undefined) problem(`user ${user.index} (${user.username}): signing in again with the first browser failed`);
    else if (result.loginShown) problem(`user ${user.index} (${user.username}): the first browser's session was lost (the login form came back)`);
    else {
      sessionsKept += 1;
      user.adopt(result.tokens);
    }
  }

  const found = new Set();
  for (const user of users.slice(0, 2)) {
    let cursor;
    do {
      const url = new URL('/api/users/messages', USER_URL);
      url.searchParams.set('limit', '100');
      if (cursor) url.searchParams.set('cursor', cursor);
      const response = await call('user-service: GET /api/users/messages', url, { headers: user.bearer() }, (status) => status === 200);
      if (!response.ok) {
        problem(`reading ${user.username}'s inbox answered ${response.status}`);
        break;
      }
      const page = response.json();
      for (const message of page.messages) found.add(message.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  const missing = [...acknowledged.keys()].filter((id) => !found.has(id));
  if (missing.length > 0) problem(`${missing.length} acknowledged message(s) not found, e.g. ${missing.slice(0, 5).join(' ')}`);

  let verified = 0;
  let expired = 0;
  const failedTokens = [];
  const nowSeconds = Date.now() / 1000;
  const unique = [...new Map(issuedTokens.map((token) => [token.jti, token])).values()];
  const queue = [...unique];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let token = queue.shift(); token !== undefined; token = queue.shift()) {
        if (token.exp <= nowSeconds + 5) {
          expired += 1;
          continue;
        }
        const response = await call('user-service: GET /api/users/me (token check)', new URL('/api/users/me', USER_URL), { headers: { authorization: `Bearer ${token.token}` } }, (status) => status === 200);
        if (response.ok) verified += 1;
        else failedTokens.push(token);
      }
    }),
  );
  if (failedTokens.length > 0) problem(`${failedTokens.length} issued token(s) no longer verify, e.g. jti ${failedTokens[0].jti} (kid ${failedTokens[0].kid}, ${failedTokens[0].phase})`);

  // ---- counts
  say('');
  say(`requests by kind (ok / failed), ${elapsed(runStarted)} in all:`);
  const kinds = new Map();
  for (const record of records) {
    const count = kinds.get(record.kind) ?? { ok: 0, failed: 0 };
    count[record.ok ? 'ok' : 'failed'] += 1;
    kinds.set(record.kind, count);
  }
  for (const [kind, count] of [...kinds].sort()) say(`  ${kind.padEnd(48)} ${String(count.ok).padStart(6)} / ${count.failed}`);
  // The balancer's own count: message-service's replicas answer user-service, not this script.
  const rows = await balancerRows();
  say(`answers to this script per replica (X-Baton-Replica): ${[...replicasSeen].sort().map(([replica, count]) => `${replica} ${count}`).join(', ')}`);
  say(`requests per replica (the balancer's count, health checks excluded): ${ALL_REPLICAS.map((replica) => `${replica} ${rows.get(replica)?.stot ?? '?'}`).join(', ')}`);
  for (const replica of ALL_REPLICAS) if (!(Number(rows.get(replica)?.stot) > 0)) problem(`${replica} never served a request through the balancer`);

  const failures = records.filter((record) => !record.ok);
  const describe = (record) => `${record.kind} → ${record.status || 'no answer'} ${record.detail}${record.replica ? ` [${record.replica}]` : ''}`;
  say('failures by phase:');
  for (const name of ['setup', 'warm-up', 'sigterm', 'kill', 'rotate', 'cool-down', 'after']) {
    const inPhase = failures.filter((record) => record.phase === name);
    const total = records.filter((record) => record.phase === name).length;
    say(`  ${name.padEnd(10)} ${String(inPhase.length).padStart(4)} failed of ${total}`);
  }
  // (b): a failure is excused only if that request was in flight at a kill, by the clock, whatever
  // the phase it started in: a slow request (a sign-in's password check on a loaded machine) begun
  // in the last seconds of the SIGTERM phase can still be running when the first kill lands.
  const inFlightAt = (kill, record) => record.startedAt < kill.returnedAt && record.endedAt > kill.sentAt;
  const excused = failures.filter((record) => kills.some((kill) => inFlightAt(kill, record)));
  const inFlightAtKills = kills.reduce((sum, kill) => sum + records.filter((record) => inFlightAt(kill, record)).length, 0);
  say(`  kill -9: ${excused.length} failed request(s) were in flight at a kill (${inFlightAtKills} request(s) were in flight at the ${kills.length} kills)`);
  for (const record of excused) say(`    in flight at a kill: [${record.phase}] ${describe(record)}`);
  const unexcused = failures.filter((record) => !excused.includes(record));
  for (const record of unexcused.slice(0, 30)) problem(`[${record.phase}] ${describe(record)}`);
  if (unexcused.length > 30) say(`  … and ${unexcused.length - 30} more`);
  if (excused.length > inFlightAtKills) problem(`${excused.length} failures at the kills, more than the ${inFlightAtKills} requests in flight`);

  say(`messages: ${acknowledged.size} acknowledged (201), ${acknowledged.size - missing.length} found afterwards, ${missing.length} missing`);
  say(`users: ${refreshed}/${users.length} refresh tokens refreshed after the kills, ${sessionsKept}/${users.length} browser sessions kept`);
  say(`tokens: ${unique.length} issued, ${verified} still verify, ${failedTokens.length} refused, ${expired} expired (not checked); keys seen: ${[...new Set(unique.map((token) => token.kid))].join(' ')}`);
  say(problems === 0 ? 'scale-load: PASSED' : `scale-load: FAILED (${problems} problem(s))`);
  return problems === 0 ? 0 : 1;
}

function jwtIssuedAt(token) {
  return jwtParts(token.token).payload.iat;
}

const [mode, argument] = process.argv.slice(2);
try {
  if (mode === 'wait-ready') {
    await waitReady(Number(argument ?? 180));
  } else if (mode === 'run') {
    process.exitCode = await run();
  } else {
    process.stderr.write('usage: scale-load.mjs wait-ready <seconds> | run\n');
    process.exitCode = 2;
  }
} catch (error) {
  process.stderr.write(`scale-load: ${error instanceof Error ? error.message : error}\n`);
  const failures = records.filter((record) => !record.ok).slice(0, 20);
  for (const record of failures) process.stderr.write(`  [${record.phase}] ${record.kind} → ${record.status || 'no answer'} ${record.detail}\n`);
  process.exitCode = 1;
}
