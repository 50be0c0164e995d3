import { Writable } from 'node:stream';
import { pino } from 'pino';
import { prettyDestination } from './pretty-destination';

describe('prettyDestination (LOG_FORMAT=pretty)', () => {
  it('writes one readable line per request: service, request id, message, method, path, route, status, duration', () => {
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    const logger = pino({ base: { service: 'user-service', pid: 1 } }, prettyDestination(sink));
    logger.info(
      { requestId: 'r-1', method: 'GET', path: '/api/users/messages', route: '/api/users/messages', status: 200, durationMs: 7 },
      'request completed',
    );
    logger.info({ context: 'HealthProbes' }, 'ready');
    const lines = written.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/INFO: user-service \(r-1\) request completed GET \/api\/users\/messages → \/api\/users\/messages 200 7ms$/);
    expect(lines[1]).toMatch(/INFO: user-service \[HealthProbes\] ready$/);
  });
});
