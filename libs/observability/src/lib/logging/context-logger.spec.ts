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

  it('writes lines outside of a request without a request id', () => {
    contextLogger('Scheduler').info({ event: 'tick-outside' });
    const [line] = test.logs.where({ context: 'Scheduler', event: 'tick-outside' });
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('requestId');
  });
});
