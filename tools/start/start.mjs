#!/usr/bin/env node
// npm start: runs Baton's three services from their built bundles (dist/apps/<app>/main.js; the
// npm script builds them first), with each log line prefixed by the service's name. One Ctrl-C
// stops all three. A port already in use is reported before anything starts, naming the service;
// a service that still fails to listen (EADDRINUSE) is reported the same way and stops the rest.
//
// Built, not watch mode: for watch mode on one app use `npx nx serve <app>`.
//
// Environment: the apps' own variables pass through unchanged. This runner reads the ports
// (AUTH_SERVER_PORT, MESSAGE_SERVICE_PORT, USER_SERVICE_PORT) and HOST, and when a port is moved
// it points the others at it: AUTH_SERVER_ISSUER / AUTH_ISSUER follow AUTH_SERVER_PORT and
// MESSAGE_SERVICE_URL follows MESSAGE_SERVICE_PORT, unless they are set. LOG_FORMAT defaults to
// pretty. NO_COLOR disables the coloured prefixes.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;
const host = env.HOST || '127.0.0.1';
// Where this runner asks for /health and /health/ready: the bound address, or loopback when bound to every address.
const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
const STOP_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 60_000;

const colors = !env.NO_COLOR && (env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : process.stdout.isTTY === true);
const paint = (code, text) => (colors ? `\u001b[${code}m${text}\u001b[0m` : text);

const authPort = portFrom('AUTH_SERVER_PORT', 9001);
const messagePort = portFrom('MESSAGE_SERVICE_PORT', 8081);
const userPort = portFrom('USER_SERVICE_PORT', 8080);
const issuer = env.AUTH_SERVER_ISSUER || `http://localhost:${authPort}`;

/** The three services in start order, each with the environment that ties it to the others. */
const services = [
  {
    name: 'auth-server',
    color: '35',
    port: authPort,
    portVariable: 'AUTH_SERVER_PORT',
    env: { AUTH_SERVER_ISSUER: issuer },
  },
  {
    name: 'message-service',
    color: '36',
    port: messagePort,
    portVariable: 'MESSAGE_SERVICE_PORT',
    env: { AUTH_ISSUER: env.AUTH_ISSUER || issuer },
  },
  {
    name: 'user-service',
    color: '33',
    port: userPort,
    portVariable: 'USER_SERVICE_PORT',
    env: {
      AUTH_ISSUER: env.AUTH_ISSUER || issuer,
      MESSAGE_SERVICE_URL: env.MESSAGE_SERVICE_URL || `http://localhost:${messagePort}`,
    },
  },
];
const width = Math.max(...services.map((service) => service.name.length));

let stopping = false;

function portFrom(variable, fallback) {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    fail(`${variable} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function say(text) {
  process.stdout.write(`${paint('1', 'baton'.padEnd(width))} │ ${text}\n`);
}

function fail(text) {
  process.stderr.write(`${paint('31;1', 'npm start:')} ${text}\n`);
  process.exit(1);
}

/** Resolves true when `port` can be bound on the host the services use, false when it is taken. */
function portIsFree(port) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `/health`: the process answers (liveness); `/health/ready`: it can serve (its checks pass). */
async function answersHealth(port, path = '/health') {
  try {
    const response = await fetch(`http://${probeHost}:${port}${path}`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Everything that would stop a service from starting, found before any of them starts. */
async function preflight() {
  for (const service of services) {
    const main = join(root, 'dist', 'apps', service.name, 'main.js');
    if (!existsSync(main)) fail(`${service.name} is not built (${main} is missing): run npx nx build ${service.name}`);
  }
  const seen = new Map();
  for (const service of services) {
    const other = seen.get(service.port);
    if (other) fail(`${other.name} and ${service.name} are both set to port ${service.port} (${other.portVariable}, ${service.portVariable})`);
    seen.set(service.port, service);
  }
  const problems = [];
  for (const service of services) {
    if (await portIsFree(service.port)) continue;
    const running = await answersHealth(service.port);
    problems.push(
      `${service.name}: port ${service.port} is already in use${running ? ' (something there answers GET /health: Baton already running?)' : ''}.` +
        ` Stop what uses it, or choose another port with ${service.portVariable}=<port>.`,
    );
  }
  if (problems.length > 0) fail(`cannot start:\n  ${problems.join('\n  ')}`);
}

function pipeLines(stream, service, sink) {
  let pending = '';
  const prefix = `${paint(service.color, service.name.padEnd(width))} │ `;
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      service.output.push(line);
      if (service.output.length > 50) service.output.shift();
      sink.write(`${prefix}${line}\n`);
    }
  });
  stream.on('end', () => {
    if (pending !== '') sink.write(`${prefix}${pending}\n`);
  });
}

function start(service) {
  service.output = [];
  const child = spawn(process.execPath, [join(root, 'dist', 'apps', service.name, 'main.js')], {
    cwd: root,
    env: { LOG_FORMAT: 'pretty', ...env, ...service.env, [service.portVariable]: String(service.port), HOST: host },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C reaches this runner only, which stops every service once.
    detached: true,
  });
  service.child = child;
  service.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  pipeLines(child.stdout, service, process.stdout);
  pipeLines(child.stderr, service, process.stderr);
  service.exited.then(({ code, signal }) => {
    if (stopping) return;
    const portTaken = service.output.some((line) => line.includes('EADDRINUSE'));
    const why = portTaken
      ? `port ${service.port} is already in use (EADDRINUSE): stop what uses it, or choose another port with ${service.portVariable}=<port>`
      : `exited unexpectedly (${signal ?? `code ${code}`})`;
    process.stderr.write(`${paint('31;1', 'npm start:')} ${service.name} ${why}\n`);
    void stopAll(1);
  });
}

async function waitHealthy(service) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (stopping) return false;
    if (await answersHealth(service.port, '/health/ready')) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const running = services.filter((service) => service.child && service.child.exitCode === null && service.child.signalCode === null);
  if (running.length > 0) say(`stopping ${running.map((service) => service.name).join(', ')} ...`);
  await Promise.all(
    running.map(async (service) => {
      service.child.kill('SIGTERM');
      const timer = setTimeout(() => service.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await service.exited;
      clearTimeout(timer);
    }),
  );
  say(exitCode === 0 ? 'all services stopped' : 'stopped');
  process.exit(exitCode);
}

// A second Ctrl-C while stopping kills at once. The same signal within a second is not a second
// Ctrl-C: npm forwards the terminal's SIGINT to its script, so it may arrive twice.
let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (!stopping) {
      firstSignalAt = Date.now();
      return void stopAll(0);
    }
    if (Date.now() - firstSignalAt < 1_000) return;
    say('killing the services now');
    for (const service of services) service.child?.kill('SIGKILL');
  });
}
// Whatever ends this process, its services do not outlive it.
process.on('exit', () => {
  for (const service of services) {
    if (service.child && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
  }
});

await preflight();
say(`ports ${services.map((service) => `${service.name} ${service.port}`).join(', ')} are free; starting (built bundles)`);
for (const service of services) start(service);
const healthy = await Promise.all(services.map(waitHealthy));
if (!stopping) {
  if (healthy.every(Boolean)) {
    const url = (port) => `http://localhost:${port}`;
    say(paint('32;1', 'ready') + ` auth-server ${url(authPort)} (issuer ${issuer}), user-service ${url(userPort)}, message-service ${url(messagePort)}`);
    say(`try: npm run demo   (uses these services)   ·   Ctrl-C stops all three`);
  } else {
    const slow = services.filter((_service, index) => !healthy[index]).map((service) => service.name);
    process.stderr.write(`${paint('31;1', 'npm start:')} ${slow.join(', ')} did not answer GET /health/ready within ${HEALTH_TIMEOUT_MS / 1000} s\n`);
    await stopAll(1);
  }
}
