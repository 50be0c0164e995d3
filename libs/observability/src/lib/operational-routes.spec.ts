import { startTestApp, TestApp } from '../test-support/test-app';

const TOKEN = 'metrics-token-0123456789';

describe('GET /metrics with a metrics token (real HTTP)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ metricsToken: TOKEN });
  });

  afterAll(async () => {
    await test.app.close();
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${TOKEN}x`],
    ['a token that is a prefix of it', `Bearer ${TOKEN.slice(0, -1)}`],
    ['another scheme', `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}`],
  ])('refuses %s with 401, WWW-Authenticate and a JSON error', async (_case, authorization) => {
    const response = await fetch(`${test.baseUrl}/metrics`, { headers: authorization === undefined ? {} : { authorization } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await response.json()).toEqual({ error: 'unauthorized', message: 'GET /metrics needs the metrics bearer token' });
  });

  it('answers the metrics for the token', async () => {
    const response = await fetch(`${test.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('http_request_duration_seconds_bucket');
  });

  it('keeps the health probes open', async () => {
    expect((await fetch(`${test.baseUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${test.baseUrl}/health/ready`)).status).toBe(200);
  });

  it('[H16] never logs the metrics token', async () => {
    const requestId = 'metrics-token-request';
    await fetch(`${test.baseUrl}/items/1`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': requestId } });
    // Judged once the request's own log line is written, not after a pause a slow machine may outlast.
    const started = performance.now();
    while (test.logs.where({ requestId, msg: 'request completed' }).length === 0 && performance.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(test.logs.where({ requestId, msg: 'request completed' })).toHaveLength(1);
    expect(test.logs.text).not.toContain(TOKEN);
  });
});
