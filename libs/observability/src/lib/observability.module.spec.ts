import { startTestApp, TestApp } from '../test-support/test-app';
import { REDACTED } from './logging/redaction';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The value of one series of the Prometheus text, or 0 when it is absent. */
function sample(metrics: string, name: string, labels: Record<string, string>): number {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(line.slice(line.indexOf('}') + 2));
  }
  return 0;
}

describe('ObservabilityModule in an app (real HTTP)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    await test.app.close();
  });

  /** Waits for the `request completed` line of a request id (written when the response ends). */
  async function completedLine(requestId: string): Promise<Record<string, unknown>> {
    // Bounded only so a missing line fails the test instead of hanging it: a loaded machine may
    // take long, and how long must not decide the verdict.
    const started = performance.now();
    while (performance.now() - started < 20_000) {
      const line = test.logs.where({ requestId, msg: 'request completed' })[0];
      if (line !== undefined) return line;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no request completed line for ${requestId}`);
  }

  describe('request ids', () => {
    it('answers the x-request-id it was given and keeps it for the whole request', async () => {
      const response = await fetch(`${test.baseUrl}/items/7`, { headers: { 'x-request-id': 'test-given-id' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe('test-given-id');
      // Read through RequestContext in the controller, after an await.
      expect(await response.json()).toEqual({ id: '7', requestId: 'test-given-id' });
    });

    it('takes the trace id of a traceparent', async () => {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const response = await fetch(`${test.baseUrl}/items/8`, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
      expect(response.headers.get('x-request-id')).toBe(traceId);
    });

    it('makes one when the request brings none, or an unusable one, and answers it on errors too', async () => {
      const none = await fetch(`${test.baseUrl}/items/9`);
      expect(none.headers.get('x-request-id')).toMatch(UUID);
      const unusable = await fetch(`${test.baseUrl}/nowhere`, { headers: { 'x-request-id': 'has "quotes"' } });
      expect(unusable.status).toBe(404);
      expect(unusable.headers.get('x-request-id')).toMatch(UUID);
    });
  });

  describe('logs', () => {
    it('writes one request completed line with service, version, request id, route, status and duration', async () => {
      await fetch(`${test.baseUrl}/items/42?secret=query`, { headers: { 'x-request-id': 'test-log-line' } });
      const line = await completedLine('test-log-line');
      expect(line).toMatchObject({
        level: 'info',
        service: 'test-service',
        version: '1.2.3',
        requestId: 'test-log-line',
        method: 'GET',
        path: '/items/42',
        route: '/items/:id',
        status: 200,
        msg: 'request completed',
      });
      expect(typeof line['durationMs']).toBe('number');
      expect(typeof line['time']).toBe('string');
      // The query string is left out: it may carry codes or tokens.
      expect(test.logs.text).not.toContain('secret=query');
    });

    it('writes exactly one request line per request, with its headers under req and res', async () => {
      const ids = ['test-once-1', 'test-once-2', 'test-once-3'];
      for (const id of ids) await fetch(`${test.baseUrl}/items/${id}`, { headers: { 'x-request-id': id } });
      for (const id of ids) await completedLine(id);
      // A second line would come with the same response: give it the time to show.
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const id of ids) {
        const lines = test.logs.where({ requestId: id, msg: 'request completed' });
        expect(lines).toHaveLength(1);
        expect(lines[0]?.['req']).toMatchObject({ method: 'GET', path: `/items/${id}`, headers: { 'x-request-id': id } });
        expect(lines[0]?.['res']).toMatchObject({ statusCode: 200, headers: { 'x-request-id': id } });
      }
    });

    it('gives logs written while handling a request its request id', async () => {
      await fetch(`${test.baseUrl}/items/43`, { headers: { 'x-request-id': 'test-in-request' } });
      await completedLine('test-in-request');
      expect(test.logs.where({ requestId: 'test-in-request', msg: 'looking up item 43' })).toHaveLength(1);
    });

    it('redacts the Authorization, Proxy-Authorization, Cookie and X-Api-Key headers and Set-Cookie', async () => {
      const credentials = 'eyJhbGciOiJFUzI1NiJ9.payload-of-a-token.signature';
      await fetch(`${test.baseUrl}/items/44`, {
        headers: {
          'x-request-id': 'test-redaction',
          authorization: `Bearer ${credentials}`,
          'proxy-authorization': 'Basic proxy-credentials',
          'x-api-key': 'api-key-in-request',
          cookie: 'session=cookie-in-request',
        },
      });
      const line = await completedLine('test-redaction');
      expect(line['req']).toMatchObject({
        headers: { authorization: REDACTED, 'proxy-authorization': REDACTED, 'x-api-key': REDACTED, cookie: REDACTED },
      });
      expect(test.logs.text).not.toContain('proxy-credentials');
      expect(test.logs.text).not.toContain('api-key-in-request');
      expect(line['res']).toMatchObject({ headers: { 'set-cookie': REDACTED } });
      expect(test.logs.text).not.toContain(credentials);
      expect(test.logs.text).not.toContain('cookie-in-request');
      expect(test.logs.text).not.toContain('cookie-value-123');
    });

    it('logs a failed request at error level with status 500, and not the probes', async () => {
      await fetch(`${test.baseUrl}/boom`, { headers: { 'x-request-id': 'test-boom' } });
      await fetch(`${test.baseUrl}/health/ready`, { headers: { 'x-request-id': 'test-probe' } });
      const failed = test.logs.where({ requestId: 'test-boom', route: '/boom' });
      await completedLine('test-in-request');
      expect(failed[0]).toMatchObject({ level: 'error', status: 500 });
      // The error is named, its stack trace is not logged.
      expect(failed[0]?.['err']).toEqual({ type: 'Error', message: expect.any(String) });
      expect(test.logs.text).not.toMatch(/\n\s+at /);
      expect(test.logs.text).not.toContain('"stack"');
      expect(test.logs.where({ requestId: 'test-probe', msg: 'request completed' })).toEqual([]);
    });
  });

  describe('GET /metrics', () => {
    it('counts requests by method, route template and status', async () => {
      const before = await (await fetch(`${test.baseUrl}/metrics`)).text();
      const labels = { service: 'test-service', method: 'GET', route: '/items/:id', status: '200' };
      const unmatched = { service: 'test-service', method: 'GET', route: 'unmatched', status: '404' };
      for (const id of ['a', 'b', 'c']) await fetch(`${test.baseUrl}/items/${id}`);
      await fetch(`${test.baseUrl}/no/such/path`);
      const response = await fetch(`${test.baseUrl}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const after = await response.text();
      expect(sample(after, 'http_request_duration_seconds_count', labels) - sample(before, 'http_request_duration_seconds_count', labels)).toBe(3);
      expect(sample(after, 'http_request_duration_seconds_count', unmatched) - sample(before, 'http_request_duration_seconds_count', unmatched)).toBe(1);
      // No label holds a raw path.
      expect(after).not.toContain('/no/such/path');
      expect(sample(after, 'baton_build_info', { service: 'test-service', version: '1.2.3' })).toBe(1);
      expect(after).toContain('process_cpu_seconds_total');
    });
  });

  it('[H16] counts a request the client abandoned before the answer as aborted', async () => {
    const labels = { service: 'test-service', method: 'GET', route: '/slow', status: 'aborted' };
    const before = await (await fetch(`${test.baseUrl}/metrics`)).text();
    const abandon = new AbortController();
    const arrived = test.gate.arrived;
    const request = fetch(`${test.baseUrl}/slow`, { signal: abandon.signal }).catch(() => 'abandoned');
    while (test.gate.arrived === arrived) await new Promise((resolve) => setTimeout(resolve, 5));
    abandon.abort();
    expect(await request).toBe('abandoned');
    const aborted = async () =>
      sample(await (await fetch(`${test.baseUrl}/metrics`)).text(), 'http_request_duration_seconds_count', labels) -
      sample(before, 'http_request_duration_seconds_count', labels);
    // The server learns of the abandon some time after the client: wait until it has counted it
    // (a fixed pause let a slow machine release the request first and count a 200), then let the
    // handler finish, which must not count the request a second time.
    const started = performance.now();
    while ((await aborted()) === 0 && performance.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 10));
    test.gate.release();
    expect(await aborted()).toBe(1);
  });

  describe('health', () => {
    it('answers liveness on /health/live and on /health', async () => {
      for (const path of ['/health/live', '/health']) {
        const response = await fetch(`${test.baseUrl}${path}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.json()).toMatchObject({ status: 'ok', info: { process: { status: 'up' } } });
      }
    });

    it('counts uptime on a monotonic clock: a wall clock stepped back 10 minutes leaves it positive', async () => {
      const wallClock = Date.now.bind(Date);
      const stepBack = jest.spyOn(Date, 'now').mockImplementation(() => wallClock() - 600_000);
      try {
        const response = await fetch(`${test.baseUrl}/health/live`);
        expect(response.status).toBe(200);
        const body = (await response.json()) as { info: { process: { uptimeSeconds: number } } };
        expect(body.info.process.uptimeSeconds).toBeGreaterThanOrEqual(0);
        expect(body.info.process.uptimeSeconds).toBeLessThan(600);
      } finally {
        stepBack.mockRestore();
      }
    });

    it('answers readiness from the readiness checks: 200 when up, 503 with the failing check when down', async () => {
      test.check.state = 'up';
      const ready = await fetch(`${test.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ok',
        info: { switchable: { status: 'up' } },
        error: {},
        details: { switchable: { status: 'up' } },
      });

      test.check.state = 'down';
      const down = await fetch(`${test.baseUrl}/health/ready`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'error', error: { switchable: { status: 'down', message: 'switched off' } } });

      test.check.state = 'throws';
      const broken = await fetch(`${test.baseUrl}/health/ready`);
      expect(broken.status).toBe(503);
      expect(await broken.json()).toMatchObject({ error: { SwitchableCheck: { status: 'down', message: 'the check itself broke' } } });
      test.check.state = 'up';
    });

    it('logs readiness when it changes, not at every probe', async () => {
      test.check.state = 'up';
      await fetch(`${test.baseUrl}/health/ready`);
      const before = test.logs.where({ msg: 'not ready' }).length;
      test.check.state = 'down';
      await fetch(`${test.baseUrl}/health/ready`);
      await fetch(`${test.baseUrl}/health/ready`);
      test.check.state = 'up';
      await fetch(`${test.baseUrl}/health/ready`);
      expect(test.logs.where({ msg: 'not ready' }).length - before).toBe(1);
      expect(test.logs.where({ msg: 'ready', context: 'HealthProbes' }).length).toBeGreaterThanOrEqual(1);
    });
  });
});
