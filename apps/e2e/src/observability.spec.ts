import type { TokenSet } from '@baton/dto';
import { jsonLogLines, LogLine, MetricsScrape, waitForLogLine } from '@baton/testing';
import { randomUUID } from 'node:crypto';
import { BatonSystem } from './support/baton-system';

/** One user request followed across the three services, as an operator would follow it. */
describe('one request id across the three services', () => {
  let system: BatonSystem;
  let alice: TokenSet;

  beforeAll(async () => {
    system = await BatonSystem.start({ userServiceEnv: { LOG_LEVEL: 'info' }, messageServiceEnv: { LOG_LEVEL: 'info' } });
    alice = await system.login('alice');
  });

  afterAll(() => system?.stop());

  const services = () => ({
    'auth-server': () => system.auth.process.logs,
    'user-service': () => system.userService.logs,
    'message-service': () => system.messageService.logs,
  });

  it("is answered, sent on by user-service, and found in every service's log, the exchange audit line included", async () => {
    const requestId = `test-${randomUUID()}`;
    const before = {
      user: await MetricsScrape.of(system.userServiceUrl),
      auth: await MetricsScrape.of(system.auth.issuer),
      message: await MetricsScrape.of(system.messageServiceUrl),
    };

    const response = await fetch(`${system.userServiceUrl}/api/users/messages`, {
      headers: { authorization: `Bearer ${alice.access_token}`, 'x-request-id': requestId },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(requestId);

    const logs = services();
    const completed = (service: keyof typeof logs) =>
      waitForLogLine(logs[service], (line) => line.requestId === requestId && line.msg === 'request completed');
    expect(await completed('user-service')).toMatchObject({ service: 'user-service', method: 'GET', route: '/api/users/messages', status: 200 });
    expect(await completed('auth-server')).toMatchObject({ service: 'auth-server', method: 'POST', route: '/oauth2/token', status: 200 });
    expect(await completed('message-service')).toMatchObject({ service: 'message-service', method: 'GET', route: '/api/messages', status: 200 });
    const audit: LogLine = await waitForLogLine(logs['auth-server'], (line) => line['event'] === 'token_exchange' && line.requestId === requestId);
    expect(audit).toMatchObject({
      context: 'TokenExchangeAudit',
      result: 'granted',
      client: 'user-service',
      subjectSub: 'alice',
      toAudience: 'message-service',
    });

    // The same call, counted by each service.
    const after = {
      user: await MetricsScrape.of(system.userServiceUrl),
      auth: await MetricsScrape.of(system.auth.issuer),
      message: await MetricsScrape.of(system.messageServiceUrl),
    };
    expect(after.user.increase(before.user, 'http_request_duration_seconds_count', { route: '/api/users/messages', status: '200' })).toBe(1);
    expect(after.user.increase(before.user, 'baton_token_exchange_cache_misses_total')).toBe(1);
    expect(after.auth.increase(before.auth, 'baton_token_exchanges_total', { client: 'user-service', target: 'message-service', result: 'granted' })).toBe(1);
    expect(after.message.increase(before.message, 'http_request_duration_seconds_count', { route: '/api/messages', status: '200' })).toBe(1);
  });

  it('[H16] never writes a token, an Authorization header or a client secret to any log', async () => {
    const requestId = `test-${randomUUID()}`;
    await fetch(`${system.userServiceUrl}/api/users/messages`, { headers: { authorization: `Bearer ${alice.access_token}`, 'x-request-id': requestId } });
    // Judged once this request's lines are written (they come through pipes), not after a pause.
    for (const service of ['user-service', 'message-service'] as const) {
      await waitForLogLine(services()[service], (line) => line.requestId === requestId && line.msg === 'request completed');
    }
    for (const [service, logs] of Object.entries(services())) {
      const text = logs();
      expect({ service, hasRequestLines: jsonLogLines(text).some((line) => line.msg === 'request completed') }).toEqual({ service, hasRequestLines: true });
      expect({ service, token: text.includes(alice.access_token) }).toEqual({ service, token: false });
      // No JWT at all: their header always starts with {"alg": (eyJhbGciOi in base64url).
      expect({ service, jwt: text.includes('eyJhbGciOi') }).toEqual({ service, jwt: false });
      expect({ service, basic: text.includes(Buffer.from('user-service:secret').toString('base64')) }).toEqual({ service, basic: false });
      for (const line of jsonLogLines(text)) {
        const authorization = (line['req'] as { headers?: Record<string, unknown> } | undefined)?.headers?.['authorization'];
        if (authorization !== undefined) expect(authorization).toBe('[redacted]');
      }
    }
  });
});
