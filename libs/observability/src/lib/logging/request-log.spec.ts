import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { LogLevel } from '@baton/config';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { prettyDestination } from './pretty-destination';
import { REDACTED } from './redaction';
import { RequestLog } from './request-log';
import { createServiceLogger } from './service-logger';

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

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

function completed(path: string, status: number, extra: { finished?: boolean } = {}) {
  const request = {
    method: 'POST',
    url: path,
    headers: { host: 'localhost', authorization: 'Basic dXNlci1zZXJ2aWNlOnNlY3JldA==' },
  } as unknown as IncomingMessage;
  const response = {
    statusCode: status,
    writableFinished: extra.finished ?? true,
    getHeaders: () => ({ 'content-type': 'application/json', 'set-cookie': ['session=abc'] }),
  } as unknown as ServerResponse;
  return { request, response, requestId: 'r-1', route: '/oauth2/token', durationMs: 7.4 };
}

function jsonLog(logLevel: LogLevel = 'info') {
  const { stream, text } = sink();
  const log = new RequestLog(createServiceLogger({ ...options, logLevel, logDestination: stream }, () => undefined), true);
  const lines = () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines, text };
}

describe('RequestLog', () => {
  it('writes one JSON line with every field of the request line, the query left out, credentials redacted', () => {
    const { log, lines, text } = jsonLog();
    log.write(completed('/oauth2/token?code=secret-code', 200));
    expect(lines()).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        service: 'test-service',
        version: '1.0.0',
        pid: process.pid,
        hostname: expect.any(String),
        requestId: 'r-1',
        req: { method: 'POST', path: '/oauth2/token', headers: { host: 'localhost', authorization: REDACTED } },
        method: 'POST',
        path: '/oauth2/token',
        route: '/oauth2/token',
        status: 200,
        res: { statusCode: 200, headers: { 'content-type': 'application/json', 'set-cookie': REDACTED } },
        durationMs: 7,
        msg: 'request completed',
      },
    ]);
    expect(text()).not.toContain('secret-code');
    expect(text()).not.toContain('dXNlci1zZXJ2aWNlOnNlY3JldA');
  });

  it('writes a 5xx as request failed, at level error, with err (type and message)', () => {
    const { log, lines } = jsonLog();
    log.write(completed('/oauth2/token', 503));
    expect(lines()[0]).toMatchObject({
      level: 'error',
      status: 503,
      err: { type: 'Error', message: 'failed with status code 503' },
      msg: 'request failed',
    });
  });

  it('marks a request the client abandoned before its answer', () => {
    const { log, lines } = jsonLog();
    log.write(completed('/oauth2/token', 200, { finished: false }));
    expect(lines()[0]).toMatchObject({ aborted: true, msg: 'request completed' });
  });

  it('follows LOG_LEVEL: at warn only failures are written; silent writes nothing; the probes never', () => {
    const warn = jsonLog('warn');
    warn.log.write(completed('/oauth2/token', 200));
    warn.log.write(completed('/oauth2/token', 500));
    expect(warn.lines().map((line) => line['msg'])).toEqual(['request failed']);
    const silent = jsonLog('silent');
    silent.log.write(completed('/oauth2/token', 500));
    expect(silent.text()).toBe('');
    const info = jsonLog();
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) info.log.write(completed(path, 200));
    expect(info.text()).toBe('');
  });

  it('is readable with LOG_FORMAT=pretty', () => {
    const { stream, text } = sink();
    const log = new RequestLog(
      createServiceLogger({ ...options, logFormat: 'pretty', logDestination: prettyDestination(stream) }, () => undefined),
      false,
    );
    log.write(completed('/oauth2/token', 200));
    expect(text().trim()).toMatch(/INFO: test-service \(r-1\) request completed POST \/oauth2\/token → \/oauth2\/token 200 7ms$/);
  });
});
