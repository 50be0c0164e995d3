import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, AuthServerHarness, freePort, MetricsScrape, startAuthServer, waitForLogLine } from '@baton/testing';

jest.setTimeout(60_000);

const METRICS_TOKEN = 'message-service-metrics-token';

/** message-service as an operator sees it: probes, metrics behind a token, logs, SIGTERM. */
describe('message-service observability (the built service as a process)', () => {
  let auth: AuthServerHarness;
  let folder: string;
  let service: AppProcess;
  let url: string;
  let alice: string;

  beforeAll(async () => {
    auth = await startAuthServer();
    folder = mkdtempSync(join(tmpdir(), 'message-service-observability-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = await AppProcess.start({
      app: 'message-service',
      env: {
        MESSAGE_SERVICE_PORT: String(port),
        MESSAGE_SERVICE_DATABASE: join(folder, 'messages.sqlite'),
        AUTH_ISSUER: auth.issuer,
        METRICS_TOKEN,
        LOG_LEVEL: 'info',
      },
      healthUrl: `${url}/health/ready`,
    });
    const scope = 'openid message.read message.write';
    alice = (await auth.login('alice', 'alice-password', { resource: 'message-service', scope })).access_token;
  });

  afterAll(async () => {
    await service?.stop();
    await auth?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', ...init.headers } });

  it('is ready once it has the issuer keys and its database answers', async () => {
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { jwks: { status: 'up' }, database: { status: 'up' } } });
  });

  it('keeps /metrics behind the metrics token', async () => {
    const refused = await fetch(`${url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${alice}` } })).status).toBe(401);
  });

  it('counts requests by route and status, and fetched the JWKS exactly once (discovery + keys)', async () => {
    const before = await MetricsScrape.of(url, METRICS_TOKEN);
    // The readiness probe fetched the keys: discovery document, then the JWKS.
    expect(before.value('baton_jwks_fetches_total', { service: 'message-service' })).toBe(2);
    expect((await api('/api/messages')).status).toBe(200);
    expect((await api('/api/messages?limit=1')).status).toBe(200);
    expect((await api('/api/messages', { method: 'POST', body: JSON.stringify({ to: 'bob', text: 'metrics' }) })).status).toBe(201);
    expect((await api('/api/messages/no-such-id')).status).toBe(404);
    expect((await fetch(`${url}/api/messages`)).status).toBe(401);
    const after = await MetricsScrape.of(url, METRICS_TOKEN);

    const count = (method: string, route: string, status: string) =>
      after.increase(before, 'http_request_duration_seconds_count', { service: 'message-service', method, route, status });
    expect(count('GET', '/api/messages', '200')).toBe(2);
    expect(count('POST', '/api/messages', '201')).toBe(1);
    expect(count('GET', '/api/messages/:id', '404')).toBe(1);
    expect(count('GET', '/api/messages', '401')).toBe(1);
    // Tokens signed by a known key cost no fetch.
    expect(after.increase(before, 'baton_jwks_fetches_total')).toBe(0);
  });

  it('[H16] logs each request with the request id it answers, and never the token', async () => {
    const response = await api('/api/messages', { headers: { 'x-request-id': 'test-message-service-log' } });
    expect(response.headers.get('x-request-id')).toBe('test-message-service-log');
    // The line reaches this process through a pipe: wait for it, not for a pause a loaded machine outlasts.
    const line = await waitForLogLine(() => service.logs, (entry) => entry.requestId === 'test-message-service-log' && entry.msg === 'request completed');
    expect(line).toMatchObject({ service: 'message-service', route: '/api/messages', status: 200, level: 'info' });
    expect(typeof line?.['durationMs']).toBe('number');
    expect(service.logs).not.toContain(alice);
  });

  it('stops on SIGTERM with exit code 0, its database closed', async () => {
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(folder, 'messages.sqlite'))).toBe(true);
    expect(existsSync(join(folder, 'messages.sqlite-wal'))).toBe(false);
  });
});
