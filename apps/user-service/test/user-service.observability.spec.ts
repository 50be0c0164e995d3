import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppProcess, AuthServerHarness, freePort, jsonLogLines, MetricsScrape, startAuthServer } from '@baton/testing';

jest.setTimeout(60_000);

/**
 * message-service stood in for by a local server that answers an empty inbox, each answer held
 * until the test lets it go: a slow downstream, the real way a request stays in flight.
 */
class SlowMessageService {
  readonly received: IncomingMessage[] = [];
  private held: (() => void)[] = [];
  holding = false;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<SlowMessageService> {
    const server = createServer();
    const standIn = new SlowMessageService(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => standIn.answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  release(): void {
    this.held.splice(0).forEach((answer) => answer());
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    this.received.push(request);
    const send = () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ subject: 'user-service', actor: 'user-service', messages: [], nextCursor: null }));
    };
    if (this.holding) this.held.push(send);
    else send();
  }
}

describe('user-service observability (the built service as a process)', () => {
  let auth: AuthServerHarness;
  let messages: SlowMessageService;
  let service: AppProcess;
  let url: string;

  async function startUserService(env: Record<string, string> = {}, health = '/health/ready'): Promise<AppProcess> {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    return AppProcess.start({
      app: 'user-service',
      env: { USER_SERVICE_PORT: String(port), AUTH_ISSUER: auth.issuer, MESSAGE_SERVICE_URL: messages.url, LOG_LEVEL: 'info', ...env },
      healthUrl: `${url}${health}`,
    });
  }

  beforeAll(async () => {
    auth = await startAuthServer();
    messages = await SlowMessageService.start();
    service = await startUserService();
  });

  afterAll(async () => {
    await service?.stop();
    await messages?.stop();
    await auth?.stop();
  });

  /** user-service's own client_credentials token (audience user-service): the seed walkthrough. */
  const serviceToken = async () => (await auth.clientCredentials()).access_token;
  const inbox = (token: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/users/messages`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  it('is ready: keys fetched and token endpoint reachable', async () => {
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ info: { jwks: { status: 'up' }, tokenEndpoint: { status: 'up' } } });
  });

  it('counts cache hits, misses, single-flight joins, exchanges and their latency', async () => {
    const before = await MetricsScrape.of(url);
    const first = await serviceToken();
    for (let call = 0; call < 3; call += 1) expect((await inbox(first)).status).toBe(200);
    const second = await serviceToken();
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => inbox(second)));
    expect(concurrent.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    const after = await MetricsScrape.of(url);

    // First token: one miss then two hits. Second: five concurrent misses, one exchange, four joins.
    expect(after.increase(before, 'baton_token_exchange_cache_misses_total')).toBe(6);
    expect(after.increase(before, 'baton_token_exchange_cache_hits_total')).toBe(2);
    expect(after.increase(before, 'baton_token_exchange_single_flight_joins_total')).toBe(4);
    expect(after.increase(before, 'baton_token_exchange_requests_total')).toBe(2);
    expect(after.increase(before, 'baton_token_exchange_duration_seconds_count', { result: 'success' })).toBe(2);
    expect(after.value('baton_token_exchange_duration_seconds_sum', { result: 'success' })).toBeGreaterThan(0);
    expect(after.increase(before, 'http_request_duration_seconds_count', { route: '/api/users/messages', status: '200' })).toBe(8);
    expect(after.value('baton_jwks_fetches_total', { service: 'user-service' })).toBe(2);
  });

  it('sends the request id on to message-service and the auth server, and logs it', async () => {
    const requestId = `test-${randomUUID()}`;
    const received = messages.received.length;
    const response = await inbox(await serviceToken(), { 'x-request-id': requestId });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(messages.received.slice(received).map((request) => request.headers['x-request-id'])).toEqual([requestId]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(jsonLogLines(auth.process.logs + service.logs).filter((line) => line.requestId === requestId).length).toBeGreaterThan(0);
    expect(jsonLogLines(service.logs).find((line) => line.requestId === requestId && line.msg === 'request completed')).toMatchObject({
      service: 'user-service',
      route: '/api/users/messages',
      status: 200,
    });
  });

  it('on SIGTERM finishes the request in flight, refuses new connections, and exits 0', async () => {
    const token = await serviceToken();
    messages.holding = true;
    const received = messages.received.length;
    const slow = inbox(token);
    while (messages.received.length === received) await new Promise((resolve) => setTimeout(resolve, 10));

    service.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
    messages.release();
    messages.holding = false;

    const response = await slow;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(await service.exited).toBe(0);
    const shutdown = jsonLogLines(service.logs).filter((line) => line['context'] === 'GracefulShutdown').map((line) => line.msg);
    expect(shutdown).toEqual(['SIGTERM: stopping; 1 request(s) in flight, waiting up to 8000 ms', 'stopped']);
  });

  it('is live but not ready while the token endpoint cannot be reached', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}/oauth2/token`;
    const stranded = await startUserService({ AUTH_TOKEN_ENDPOINT: unreachable, TOKEN_EXCHANGE_TIMEOUT_MS: '500' }, '/health/live');
    try {
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'error',
        info: { jwks: { status: 'up' } },
        error: { tokenEndpoint: { status: 'down' } },
      });
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
    } finally {
      await stranded.stop();
    }
  });
});
