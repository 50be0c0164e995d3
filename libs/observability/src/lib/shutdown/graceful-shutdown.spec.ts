import { EventEmitter } from 'node:events';
import { startTestApp, TestApp } from '../../test-support/test-app';
import { GracefulShutdown } from './graceful-shutdown';

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 2 s');
}

describe('GracefulShutdown (real HTTP)', () => {
  let test: TestApp;

  afterEach(async () => {
    test.gate.release();
    await test.app.close();
  });

  it('stops accepting, lets the request in flight finish, then closes the app and resolves 0', async () => {
    test = await startTestApp({ shutdownTimeoutMs: 5_000 });
    const slow = fetch(`${test.baseUrl}/slow`);
    await waitFor(() => test.gate.arrived === 1);

    const stopped = test.app.get(GracefulShutdown).shutdown(test.app, 'SIGTERM');
    // New connections are refused at once...
    await expect(fetch(`${test.baseUrl}/health/live`)).rejects.toThrow();
    // ...while the request in flight is still being served.
    expect(test.recorder.closedAt).toBeUndefined();

    await new Promise((resolve) => setTimeout(resolve, 200));
    const releasedAt = Date.now();
    test.gate.release();
    const response = await slow;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ slow: 'done' });

    await expect(stopped).resolves.toBe(0);
    // Shutdown hooks (databases) ran once the request was over, not under it.
    expect(test.recorder.closedAt).toBeGreaterThanOrEqual(releasedAt);
    expect(test.logs.where({ context: 'GracefulShutdown', msg: 'stopped' })).toHaveLength(1);
  });

  it('cuts off what is still running at the deadline and still closes the app', async () => {
    test = await startTestApp({ shutdownTimeoutMs: 300 });
    const slow = fetch(`${test.baseUrl}/slow`).then(
      (response) => response.status,
      () => 'cut off',
    );
    await waitFor(() => test.gate.arrived === 1);
    const started = Date.now();
    await expect(test.app.get(GracefulShutdown).shutdown(test.app, 'SIGTERM')).resolves.toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await slow).toBe('cut off');
    expect(test.recorder.closedAt).toBeDefined();
    expect(test.logs.lines.some((line) => String(line['msg']).includes('1 request(s) still running after 300 ms were cut off'))).toBe(true);
  });

  it('exits 0 on SIGTERM, and at once with 1 on a second signal', async () => {
    test = await startTestApp({ shutdownTimeoutMs: 5_000 });
    const exits: number[] = [];
    // A stand-in for the process: emitting real signals here would reach the test runner too.
    const signals = new EventEmitter();
    const uninstall = test.app.get(GracefulShutdown).install(test.app, (code) => exits.push(code), signals);
    try {
      const slow = fetch(`${test.baseUrl}/slow`);
      await waitFor(() => test.gate.arrived === 1);
      signals.emit('SIGTERM', 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(exits).toEqual([]);
      signals.emit('SIGINT', 'SIGINT');
      expect(exits).toEqual([1]);
      test.gate.release();
      await slow;
      await waitFor(() => exits.length === 2);
      expect(exits).toEqual([1, 0]);
    } finally {
      uninstall();
    }
  });
});
