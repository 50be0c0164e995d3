import { EventEmitter } from 'node:events';
import { BatchedDestination } from './batched-destination';

/** A synchronous destination that records each write it is given (one write = one system call). */
class RecordingTarget {
  readonly writes: string[] = [];
  write(text: string): void {
    this.writes.push(text);
  }
}

describe('BatchedDestination (stdout in JSON mode)', () => {
  let target: RecordingTarget;
  let exits: EventEmitter;
  let destination: BatchedDestination;

  beforeEach(() => {
    target = new RecordingTarget();
    exits = new EventEmitter();
    destination = new BatchedDestination(target, { intervalMs: 20, exits });
  });

  afterEach(() => destination.close());

  it('writes the lines of a few milliseconds in one write, in order', async () => {
    destination.write('{"n":1}\n');
    destination.write('{"n":2}\n');
    destination.write('{"n":3}\n');
    expect(target.writes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(target.writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n']);
  });

  it('writes a large batch at once, without waiting', () => {
    const line = `${JSON.stringify({ filler: 'x'.repeat(1000) })}\n`;
    for (let index = 0; index < 20; index += 1) destination.write(line);
    expect(target.writes.length).toBeGreaterThanOrEqual(1);
    expect(target.writes.join('').length).toBeGreaterThanOrEqual(16 * 1024);
  });

  it('loses no line when the process exits before the interval is over (after SIGTERM, exit runs its listeners)', () => {
    destination.write('{"msg":"request completed"}\n');
    destination.write('{"context":"GracefulShutdown","msg":"stopped"}\n');
    exits.emit('exit', 0);
    expect(target.writes.join('')).toBe('{"msg":"request completed"}\n{"context":"GracefulShutdown","msg":"stopped"}\n');
  });

  it('writes nothing when nothing is pending (an idle service makes no system calls)', async () => {
    exits.emit('exit', 0);
    destination.flushSync();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(target.writes).toEqual([]);
  });

  it('stops listening for the exit once closed', () => {
    destination.close();
    expect(exits.listenerCount('exit')).toBe(0);
  });
});
