import { EventEmitter } from 'node:events';
import { Agent, request as httpRequest, Server } from 'node:http';
import { startTestApp, TestApp } from '../../test-support/test-app';
import { GracefulShutdown } from './graceful-shutdown';

/** Polls until `condition` holds; the bound only turns a hang into a failure, it decides nothing. */
async function waitFor(condition: () => boolean): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < 20_000) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 20 s');
}

interface Answer {
  status?: number;
  connection?: string;
  reusedConnection?: boolean;
  error?: string;
}

/** A GET through `agent` (keep-alive: the connection is reused while the server keeps it). */
function get(agent: Agent, url: string): Promise<Answer> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { agent }, (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode, connection: response.headers.connection, reusedConnection: request.reusedSocket }));
    });
    request.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    request.end();
  });
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

    // Time for a wrong shutdown to close the app under the request; nothing waits on it.
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

  it('with a drain delay, reports not ready but keeps accepting new connections until the delay is over, then closes', async () => {
    test = await startTestApp({ shutdownTimeoutMs: 5_000, shutdownDrainDelayMs: 600 });
    const startedAt = performance.now();
    const stopped = test.app.get(GracefulShutdown).shutdown(test.app, 'SIGTERM');
    // The balancer's health check sees 503 at once...
    const ready = await fetch(`${test.baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    // ...while a request it still sends on a new connection is served, telling it to close.
    const served = await fetch(`${test.baseUrl}/items/1`);
    expect(served.status).toBe(200);
    expect(served.headers.get('connection')).toBe('close');
    expect(test.recorder.closedAt).toBeUndefined();
    await expect(stopped).resolves.toBe(0);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(590);
    // Afterwards the listener is closed: a new connection is refused.
    await expect(fetch(`${test.baseUrl}/health/live`)).rejects.toThrow();
    expect(test.logs.where({ context: 'GracefulShutdown', msg: 'not ready; still serving for 600 ms so the load balancer stops sending first' })).toHaveLength(1);
  });

  it('cuts off what is still running at the deadline and still closes the app', async () => {
    test = await startTestApp({ shutdownTimeoutMs: 300 });
    const slow = fetch(`${test.baseUrl}/slow`).then(
      (response) => response.status,
      () => 'cut off',
    );
    await waitFor(() => test.gate.arrived === 1);
    const started = performance.now();
    await expect(test.app.get(GracefulShutdown).shutdown(test.app, 'SIGTERM')).resolves.toBe(0);
    // Not before the deadline (a timer never fires early); how long after depends on the machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
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

  it('[H12] keeps an idle keep-alive connection while a request is in flight, and answers a request sent on it with Connection: close', async () => {
    test = await startTestApp({ shutdownTimeoutMs: 5_000, shutdownIdleGraceMs: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(agent, `${test.baseUrl}/items/1`)).toEqual({ status: 200, connection: 'keep-alive', reusedConnection: false });
      const slow = fetch(`${test.baseUrl}/slow`);
      await waitFor(() => test.gate.arrived === 1);

      const stopped = test.app.get(GracefulShutdown).shutdown(test.app, 'SIGTERM');
      // Even with no grace of its own, the idle connection stays while a request is in flight.
      expect(await get(agent, `${test.baseUrl}/items/2`)).toEqual({ status: 200, connection: 'close', reusedConnection: true });
      expect(await get(agent, `${test.baseUrl}/items/3`)).toEqual({ error: 'ECONNREFUSED' });

      test.gate.release();
      expect((await slow).status).toBe(200);
      await expect(stopped).resolves.toBe(0);
    } finally {
      agent.destroy();
    }
  });

  it('[H12] closes idle keep-alive connections once the grace is over and nothing is in flight', async () => {
    test = await startTestApp({ shutdownTimeoutMs: 600_000, shutdownIdleGraceMs: 100 });
    // Only the grace can close the idle connection now: no keep-alive timeout, a deadline far off.
    (test.app.getHttpServer() as Server).keepAliveTimeout = 0;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(agent, `${test.baseUrl}/items/1`)).toMatchObject({ status: 200, connection: 'keep-alive' });
      const cutOffs = () => test.logs.lines.filter((line) => String(line['msg']).includes('cut off')).length;
      const cutOffsBefore = cutOffs();
      await expect(test.app.get(GracefulShutdown).shutdown(test.app, 'SIGTERM')).resolves.toBe(0);
      expect(cutOffs()).toBe(cutOffsBefore);
    } finally {
      agent.destroy();
    }
  });
});
