import { Writable } from 'node:stream';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { REDACTED, redactSecrets, SECRET_FIELDS } from './redaction';
import { createServiceLogger } from './service-logger';

const SECRET = 'eyJhbGciOiJFUzI1NiJ9.a-secret-value.signature';

describe('redactSecrets', () => {
  it.each([...SECRET_FIELDS])('redacts the field %s at the top of a line, nested, and in an array of objects', (field) => {
    const logged = { [field]: SECRET, client: { [field]: SECRET }, deep: { a: { b: { [field]: SECRET } } }, list: [{ [field]: SECRET }] };
    const redacted = redactSecrets(logged);
    expect(JSON.stringify(redacted)).not.toContain(SECRET);
    expect(redacted).toEqual({ [field]: REDACTED, client: { [field]: REDACTED }, deep: { a: { b: { [field]: REDACTED } } }, list: [{ [field]: REDACTED }] });
  });

  it('redacts credential headers of requests and responses (Authorization, Proxy-Authorization, Cookie, X-Api-Key, Set-Cookie)', () => {
    const line = {
      req: { headers: { authorization: `Bearer ${SECRET}`, 'proxy-authorization': `Basic ${SECRET}`, cookie: SECRET, 'x-api-key': SECRET, accept: '*/*' } },
      res: { headers: { 'set-cookie': [`session=${SECRET}`], 'content-type': 'application/json' } },
    };
    expect(redactSecrets(line)).toEqual({
      req: { headers: { authorization: REDACTED, 'proxy-authorization': REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, accept: '*/*' } },
      res: { headers: { 'set-cookie': REDACTED, 'content-type': 'application/json' } },
    });
  });

  it("never changes the caller's object, and returns it as it is when it holds no credential", () => {
    const entry = { event: 'token_exchange', result: 'granted', client: 'user-service', actChain: ['user-service'], nested: { jti: 'j1' } };
    expect(redactSecrets(entry)).toBe(entry);
    const withSecret = { client: { id: 'user-service', secret: SECRET } };
    const redacted = redactSecrets(withSecret);
    expect(redacted).toEqual({ client: { id: 'user-service', secret: REDACTED } });
    expect(withSecret.client.secret).toBe(SECRET);
  });

  it('keeps an Error or a class instance what it is (type, message), only without the credential', () => {
    class Failure extends Error {
      constructor(readonly token: string) {
        super('the call failed');
        this.name = 'Failure';
      }
    }
    const redacted = redactSecrets({ cause: new Failure(SECRET) });
    expect(redacted.cause).toBeInstanceOf(Failure);
    expect(redacted.cause.message).toBe('the call failed');
    expect(redacted.cause.token).toBe(REDACTED);
  });

  it('cuts what lies deeper than it looks, rather than logging it unseen', () => {
    let deep: Record<string, unknown> = { secret: SECRET };
    for (let level = 0; level < 20; level += 1) deep = { next: deep };
    expect(JSON.stringify(redactSecrets(deep))).not.toContain(SECRET);
  });
});

describe('the service logger', () => {
  const options: ResolvedObservabilityOptions = {
    service: 'test-service',
    version: '1.0.0',
    logLevel: 'info',
    logFormat: 'json',
    metricsToken: undefined,
    shutdownTimeoutMs: 0,
    shutdownIdleGraceMs: 0,
    shutdownDrainDelayMs: 0,
    readiness: [],
    routeOf: () => undefined,
    logDestination: undefined,
  };

  function capture(requestId: () => string | undefined = () => undefined) {
    const lines: Record<string, unknown>[] = [];
    let text = '';
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const { logger } = createServiceLogger({ ...options, logDestination }, requestId);
    return { logger, lines, text: () => text };
  }

  it('redacts every line it writes, and writes errors by type and message without their stack', () => {
    const { logger, lines, text } = capture();
    logger.info({ client: { clientSecret: SECRET }, subject_token: SECRET }, 'exchanging');
    logger.error({ err: new TypeError('no such key') }, 'failed');
    expect(text()).not.toContain(SECRET);
    expect(lines[0]).toMatchObject({ level: 'info', service: 'test-service', client: { clientSecret: REDACTED }, subject_token: REDACTED, msg: 'exchanging' });
    expect(lines[1]?.['err']).toEqual({ type: 'TypeError', message: 'no such key' });
    expect(text()).not.toContain('"stack"');
  });

  it("gives every line written during a request that request's id, and none outside of one", () => {
    let current: string | undefined = 'r-42';
    const { logger, lines } = capture(() => current);
    logger.info('inside');
    current = undefined;
    logger.info('outside');
    expect(lines[0]).toMatchObject({ requestId: 'r-42', msg: 'inside' });
    expect(lines[1]).not.toHaveProperty('requestId');
  });
});
