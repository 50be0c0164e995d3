/**
 * The downstream-call micro comparison (issue 15, target 4): what one call to message-service
 * costs the calling process with each HTTP client, every one doing what `DownstreamClient` needs
 * (a GET with Authorization, Accept and a request id, a total timeout, the body read as text and
 * capped, no redirect followed). The calling process's own CPU per call (`process.cpuUsage`), in
 * alternating rounds; a stub server in another process answers a message-list body.
 *
 * Run by `chain.bench.mts` in its own process (`node downstream-transports.bench.mts '<json>'`,
 * input `{ rounds, durationSeconds, warmupSeconds, connections, pin? }`); prints one JSON line per
 * client and round, `{ client, round, calls, cpuMicrosPerCall, callsPerSecond }`.
 */
import { HttpService } from '@nestjs/axios';
import axios, { type AxiosResponse } from 'axios';
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { firstValueFrom } from 'rxjs';

const MAX_RESPONSE_BYTES = 1_048_576;
/** Generous: a stall of the shared machine must not end the comparison (the timer costs the same). */
const TIMEOUT_MS = 30_000;
const TOKEN = `eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.${'x'.repeat(600)}.${'s'.repeat(86)}`;

interface Input {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

/** One GET to `url` with the downstream client's headers; resolves with the status and body text. */
type Call = (url: string) => Promise<{ status: number; body: string }>;

function headers(): Record<string, string> {
  return {
    'x-request-id': 'bench-request-id',
    Authorization: `Bearer ${TOKEN}`,
    Accept: 'application/json',
  };
}

/** axios through `@nestjs/axios`, configured as `DownstreamClient` configured it before issue 15. */
function nestAxios(agent?: Agent): Call {
  const http = new HttpService(agent === undefined ? axios.create() : axios.create({ httpAgent: agent }));
  return async (url) => {
    const response: AxiosResponse<string> = await firstValueFrom(
      http.request<string>({
        url,
        method: 'GET',
        headers: headers(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        responseType: 'text',
        transformResponse: (data: unknown) => data,
        validateStatus: () => true,
        maxRedirects: 0,
        maxContentLength: MAX_RESPONSE_BYTES,
      }),
    );
    return { status: response.status, body: response.data };
  };
}

/** node:http with a keep-alive agent, a timer for the deadline and a capped text body. */
function nodeHttp(): Call {
  const agent = new Agent({ keepAlive: true });
  return (url) =>
    new Promise((resolve, reject) => {
      const request = httpRequest(url, { method: 'GET', agent, headers: headers() });
      const timer = setTimeout(() => request.destroy(new Error('timeout')), TIMEOUT_MS);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) request.destroy(new Error('too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks, size).toString('utf8') });
        });
      });
      request.end();
    });
}

/** The fetch built into Node (undici), which keeps connections alive on its own. */
function builtInFetch(): Call {
  return async (url) => {
    const response = await fetch(url, { headers: headers(), redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { status: response.status, body: await response.text() };
  };
}

const ALL_CLIENTS: Record<string, () => Call> = {
  'axios via @nestjs/axios, Node global agent (keep-alive): before': () => nestAxios(),
  'axios via @nestjs/axios + own keep-alive Agent': () => nestAxios(new Agent({ keepAlive: true })),
  'node:http + keep-alive Agent': nodeHttp,
  'fetch (undici built into Node)': builtInFetch,
};

const only = process.env['BENCH_CLIENT'];
const CLIENTS = Object.fromEntries(Object.entries(ALL_CLIENTS).filter(([name]) => only === undefined || name.includes(only)));

/** The stub downstream: a node:http server in its own process answering one message list. */
const STUB_SERVER = `
const { createServer } = require('node:http');
const messages = Array.from({ length: 5 }, (_, i) => ({ id: String(i + 1), from: 'bob', to: 'alice', text: 'hello number ' + i, createdAt: new Date(0).toISOString() }));
const body = JSON.stringify({ subject: 'alice', actor: 'user-service', messages, nextCursor: null });
const server = createServer((request, response) => {
  request.resume();
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function startStub(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', STUB_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`stub server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/api/messages?limit=20`, stop: () => child.kill() };
}

/** `connections` callers in a loop for `seconds`: calls made and the process's CPU per call. */
async function measure(call: Call, url: string, connections: number, seconds: number) {
  const deadline = performance.now() + seconds * 1_000;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let calls = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const { status, body } = await call(url);
        if (status !== 200 || body.length === 0) throw new Error(`unexpected answer ${status}`);
        calls += 1;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuStarted);
  const elapsedMs = performance.now() - started;
  return { calls, cpuMicrosPerCall: (cpu.user + cpu.system) / calls, callsPerSecond: (calls / elapsedMs) * 1_000 };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as Input;
  const stub = await startStub();
  try {
    const clients = Object.entries(CLIENTS).map(([name, make]) => ({ name, call: make() }));
    for (const client of clients) await measure(client.call, stub.url, input.connections, input.warmupSeconds);
    for (let round = 1; round <= input.rounds; round += 1) {
      // Alternate the order so that no client always runs right after the same one.
      for (const client of round % 2 === 1 ? clients : [...clients].reverse()) {
        const result = await measure(client.call, stub.url, input.connections, input.durationSeconds);
        process.stdout.write(`${JSON.stringify({ client: client.name, round, ...result })}\n`);
      }
    }
  } finally {
    stub.stop();
  }
  // Keep-alive sockets would keep the process up.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
