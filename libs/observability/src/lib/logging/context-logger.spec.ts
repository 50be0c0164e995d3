import { RequestContext } from '../context/request-context';
import { startTestApp, TestApp } from '../../test-support/test-app';
import { contextLogger } from './context-logger';
import { REDACTED } from './redaction';

describe('contextLogger (in an app)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    await test.app.close();
  });

  it("writes one line through the app's logger: the fields, the context, the request id, credentials redacted", () => {
    const audit = contextLogger('TokenExchangeAudit');
    test.app.get(RequestContext).run('test-context-logger', () => {
      audit.info({ event: 'token_exchange', result: 'granted', client: 'user-service', subject_token: 'a-secret-token' });
      audit.warn({ event: 'token_exchange', result: 'refused', error: 'invalid_target' });
    });
    const lines = test.logs.where({ context: 'TokenExchangeAudit', requestId: 'test-context-logger' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', service: 'test-service', event: 'token_exchange', result: 'granted', subject_token: REDACTED }),
      expect.objectContaining({ level: 'warn', result: 'refused', error: 'invalid_target' }),
    ]);
    expect(test.logs.text).not.toContain('a-secret-token');
  });

  it('writes each line as pino would: one JSON object with level, ISO time and the service fields, nested credentials redacted', () => {
    const before = test.logs.text.length;
    test.app.get(RequestContext).run('test-context-line', () => {
      contextLogger('Shape').info({ event: 'shape', nested: { headers: { authorization: 'Bearer a-nested-secret' } }, chain: ['a', 'b'], count: 3 });
    });
    const raw = test.logs.text.slice(before).split('\n').filter(Boolean);
    expect(raw).toHaveLength(1);
    const line = JSON.parse(raw[0] ?? '') as Record<string, unknown>;
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'test-service',
      version: expect.any(String),
      pid: process.pid,
      hostname: expect.any(String),
      context: 'Shape',
      requestId: 'test-context-line',
      event: 'shape',
      nested: { headers: { authorization: REDACTED } },
      chain: ['a', 'b'],
      count: 3,
    });
    expect(test.logs.text).not.toContain('a-nested-secret');
  });

  it("lets a line's own requestId win, once, and writes a line without fields", () => {
    const before = test.logs.text.length;
    test.app.get(RequestContext).run('the-request', () => {
      contextLogger('Own').warn({ requestId: 'its-own' });
      contextLogger('Empty').info({});
    });
    const raw = test.logs.text.slice(before).split('\n').filter(Boolean);
    expect(raw).toHaveLength(2);
    expect(raw[0]?.match(/"requestId"/g)).toHaveLength(1);
    expect(JSON.parse(raw[0] ?? '')).toMatchObject({ level: 'warn', context: 'Own', requestId: 'its-own' });
    expect(JSON.parse(raw[1] ?? '')).toMatchObject({ level: 'info', context: 'Empty', requestId: 'the-request' });
  });

  it("logs an error by type and message through pino's serializer, never its stack", () => {
    const error = new TypeError('went wrong');
    contextLogger('Failing').warn({ event: 'failed', err: error });
    const [line] = test.logs.where({ context: 'Failing', event: 'failed' });
    expect(line?.['err']).toEqual({ type: 'TypeError', message: 'went wrong' });
    expect(test.logs.text).not.toContain(error.stack ?? 'no stack');
  });

  it('writes lines outside of a request without a request id', () => {
    contextLogger('Scheduler').info({ event: 'tick-outside' });
    const [line] = test.logs.where({ context: 'Scheduler', event: 'tick-outside' });
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('requestId');
  });
});
