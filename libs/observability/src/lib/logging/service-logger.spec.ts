import { LogCapture } from '../../test-support/log-capture';
import { resolveObservabilityOptions } from '../observability.options';
import { LineBatch } from './batched-destination';
import { createServiceLogger } from './service-logger';

/**
 * Where a service's lines go: the request line (`writeAfterAnswer`) waits in stdout's batch only
 * when the service writes JSON lines to stdout; every other destination gets it at once.
 */
describe('createServiceLogger: where the request line goes', () => {
  let batched: string[];
  let written: string[];

  beforeEach(() => {
    batched = [];
    written = [];
    // stdout's one LineBatch, without touching the real stdout.
    jest.spyOn(LineBatch.prototype, 'writeLater').mockImplementation((line: string) => void batched.push(line));
    jest.spyOn(LineBatch.prototype, 'write').mockImplementation((line: string) => void written.push(line));
  });

  afterEach(() => jest.restoreAllMocks());

  it('JSON to stdout: the request line waits in the batch, every other line is written at once', () => {
    const service = createServiceLogger(resolveObservabilityOptions({ service: 'wiring-test', version: '1.0.0' }), () => 'request-1');
    service.writeAfterAnswer('{"msg":"request completed"}\n');
    service.logger.info('audit');
    expect(batched).toEqual(['{"msg":"request completed"}\n']);
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0] ?? '')).toMatchObject({ level: 'info', service: 'wiring-test', requestId: 'request-1', msg: 'audit' });
  });

  it('a destination of its own (tests): the request line is written to it at once, in order with the rest', () => {
    const capture = new LogCapture();
    const service = createServiceLogger(
      resolveObservabilityOptions({ service: 'wiring-test', version: '1.0.0', logDestination: capture }),
      () => undefined,
    );
    service.writeAfterAnswer('{"msg":"request completed"}\n');
    service.logger.info('next');
    expect(capture.lines.map((line) => line['msg'])).toEqual(['request completed', 'next']);
    expect(batched).toEqual([]);
    expect(written).toEqual([]);
  });
});
