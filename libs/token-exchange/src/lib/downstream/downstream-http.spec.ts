import { Test, TestingModule } from '@nestjs/testing';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { TokenExchangeError } from '../errors/token-exchange.error';
import { FakeClock } from '../testing/fake-clock';
import { HttpStub } from '../testing/http-stub';
import { silentLogger } from '../testing/silent-logger';
import { grantedAnswer, unsignedAccessToken } from '../testing/token-answers';
import { TokenExchangeModule } from '../token-exchange.module';
import { DownstreamClients } from './downstream-clients.service';
import { MAX_DOWNSTREAM_RESPONSE_BYTES } from './downstream-http';

/**
 * The downstream calls on the wire (node:http with a keep-alive agent since issue 15): what the
 * downstream sees, and what the caller gets when the answer is too big, too slow, cut or a redirect.
 * The downstream is a plain node:http server so the tests can see its connections.
 */
const clock = new FakeClock();
const alice = unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) + 3600, jti: 'alice-wire' });

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface Downstream {
  url: string;
  /** TCP connections accepted so far, and those still open. */
  connections: number;
  open: Set<Socket>;
  paths: string[];
  handler: Handler;
  server: Server;
}

let authServer: HttpStub;
let downstream: Downstream;
let moduleRef: TestingModule;

async function startDownstream(handler: Handler): Promise<Downstream> {
  const server = createServer();
  const state: Downstream = { url: '', connections: 0, open: new Set(), paths: [], handler, server };
  server.on('connection', (socket) => {
    state.connections += 1;
    state.open.add(socket);
    socket.on('close', () => state.open.delete(socket));
  });
  server.on('request', (request, response) => {
    state.paths.push(request.url ?? '');
    state.handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

async function start(handler: Handler, { timeoutMs = 500, basePath = '' } = {}): Promise<DownstreamClients> {
  authServer = await HttpStub.start(grantedAnswer);
  downstream = await startDownstream(handler);
  moduleRef = await Test.createTestingModule({
    imports: [
      TokenExchangeModule.forRoot({
        tokenEndpoint: `${authServer.url}/oauth2/token`,
        clientId: 'user-service',
        clientSecret: 'secret',
        clock,
        downstreams: { messageService: { baseUrl: `${downstream.url}${basePath}`, audience: 'message-service', timeoutMs } },
      }),
    ],
  })
    .setLogger(silentLogger)
    .compile();
  return moduleRef.get(DownstreamClients);
}

/** The answer a caller would get for a failed call: status, body and headers of the thrown error. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; body: unknown; headers: Readonly<Record<string, string>> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenExchangeError) return { status: error.getStatus(), body: error.getResponse(), headers: error.headers };
    throw error;
  }
  throw new Error('expected the call to fail');
}

const json = (body: unknown, status = 200): Handler => (request, response) => {
  request.resume();
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
};

const call = (clients: DownstreamClients) => clients.get('messageService').request({ subjectToken: alice, path: '/api/messages', query: { limit: 2 } });

afterEach(async () => {
  await moduleRef?.close();
  await authServer?.stop();
  if (downstream !== undefined) {
    for (const socket of downstream.open) socket.destroy();
    await new Promise<void>((resolve) => downstream.server.close(() => resolve()));
  }
});

describe('DownstreamClient on the wire', () => {
  it('keeps one connection alive across calls, and closes it when the app shuts down', async () => {
    const clients = await start(json({ messages: [] }));
    for (let index = 0; index < 5; index += 1) expect((await call(clients)).status).toBe(200);
    expect(downstream.connections).toBe(1);
    expect(downstream.open.size).toBe(1);
    await moduleRef.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(downstream.open.size).toBe(0);
  });

  it('calls under the path of the base URL, with the query', async () => {
    const clients = await start(json({ ok: true }), { basePath: '/prefix/' });
    await call(clients);
    expect(downstream.paths).toEqual(['/prefix/api/messages?limit=2']);
  });

  it('passes a 4xx body and the headers on, several values of one header joined', async () => {
    const clients = await start((request, response) => {
      request.resume();
      response.setHeader('Set-Cookie', ['a=1', 'b=2']);
      response.writeHead(404, { 'Content-Type': 'application/json', 'X-Thing': 'yes' });
      response.end(JSON.stringify({ error: 'not_found', message: 'none' }));
    });
    const response = await call(clients);
    expect(response.status).toBe(404);
    expect(response.data).toEqual({ error: 'not_found', message: 'none' });
    expect(response.headers['x-thing']).toBe('yes');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
  });

  it('answers 502 downstream_failed for a redirect, without following it', async () => {
    const clients = await start((request, response) => {
      request.resume();
      if (request.url?.startsWith('/elsewhere')) return json({ followed: true })(request, response);
      response.writeHead(302, { Location: '/elsewhere' });
      response.end();
    });
    expect(await refusal(call(clients))).toEqual({
      status: 502,
      body: { error: 'downstream_failed', message: 'message-service failed to answer' },
      headers: {},
    });
    expect(downstream.paths).toEqual(['/api/messages?limit=2']);
  });

  it('answers 502 downstream_failed for a body over the cap, declared or not', async () => {
    const big = `"${'x'.repeat(MAX_DOWNSTREAM_RESPONSE_BYTES)}"`;
    const clients = await start(json(big));
    expect((await refusal(call(clients))).status).toBe(502);
    // Chunked, no Content-Length: the cap holds while reading.
    downstream.handler = (request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('"');
      response.write('y'.repeat(MAX_DOWNSTREAM_RESPONSE_BYTES));
      response.end('"');
    };
    const chunked = await refusal(call(clients));
    expect(chunked.status).toBe(502);
    expect(chunked.body).toEqual({ error: 'downstream_failed', message: 'message-service failed to answer' });
  });

  it('reads a body in many chunks whole', async () => {
    const messages = Array.from({ length: 2_000 }, (_, index) => ({ id: String(index), text: 'é'.repeat(20) }));
    const text = JSON.stringify({ messages });
    const clients = await start((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/json' });
      // Split inside a two-byte character: decoding happens once, on the whole body.
      const bytes = Buffer.from(text);
      for (let offset = 0; offset < bytes.length; offset += 1_001) response.write(bytes.subarray(offset, offset + 1_001));
      response.end();
    });
    expect((await call(clients)).data).toEqual({ messages });
  });

  it('answers 503 with Retry-After within the timeout when the body trickles in too slowly', async () => {
    const clients = await start(
      (request, response) => {
        request.resume();
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.write('{"messages": [');
        // The rest never comes: the deadline covers the whole answer, not only its headers.
      },
      { timeoutMs: 300 },
    );
    const started = performance.now();
    const answer = await refusal(call(clients));
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(answer).toEqual({
      status: 503,
      body: { error: 'downstream_unavailable', message: 'message-service is unavailable; try again later' },
      headers: { 'Retry-After': '5' },
    });
  });

  it('answers 503 when the connection drops in the middle of the answer, and does not retry', async () => {
    const clients = await start((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      response.write('{"messages": [');
      setTimeout(() => request.socket.destroy(), 10);
    });
    const answer = await refusal(call(clients));
    expect(answer.status).toBe(503);
    expect(answer.headers).toEqual({ 'Retry-After': '5' });
    expect(downstream.paths).toHaveLength(1);
  });

  it('answers 503 when nothing listens, and does not retry', async () => {
    const clients = await start(json({}));
    for (const socket of downstream.open) socket.destroy();
    await new Promise<void>((resolve) => downstream.server.close(() => resolve()));
    const answer = await refusal(call(clients));
    expect(answer.status).toBe(503);
    expect((answer.body as { error: string }).error).toBe('downstream_unavailable');
    expect(downstream.paths).toHaveLength(0);
    // afterEach closes it again: give it a fresh server to close.
    downstream = await startDownstream(json({}));
  });
});
