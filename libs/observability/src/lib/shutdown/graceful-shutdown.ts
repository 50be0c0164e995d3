import { INestApplication, Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RESOLVED_OBSERVABILITY_OPTIONS } from '../observability.module-definition';
import type { ResolvedObservabilityOptions } from '../observability.options';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Stops a service the way an orchestrator expects on SIGTERM (or Ctrl-C):
 * 0. behind a load balancer (`shutdownDrainDelayMs` > 0): report not ready and answer
 *    `Connection: close`, but keep accepting and serving for that long, so the balancer's health
 *    check takes the replica out before its connections are refused (a listener closed at once
 *    resets connections already in the kernel's accept queue, under requests sent on them);
 * 1. stop accepting connections, answer `Connection: close` from now on, and report not ready;
 * 2. let the requests in flight finish, for at most `shutdownTimeoutMs`, then cut the rest; keep
 *    idle keep-alive connections open for `shutdownIdleGraceMs` (and while requests are still in
 *    flight), so a request a client already sent on one is answered, with `Connection: close`,
 *    instead of meeting a reset;
 * 3. close the application (Nest's shutdown hooks: databases, timers);
 * 4. exit 0, or 1 if closing failed.
 * Nest's own `enableShutdownHooks()` runs the hooks before the server stops (a database would
 * close under a request still being served) and re-raises the signal (exit code null).
 * A second signal during the shutdown stops the process at once.
 */
@Injectable()
export class GracefulShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);
  private readonly inFlight = new Set<ServerResponse>();
  private stopping = false;

  constructor(@Inject(RESOLVED_OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions) {}

  /** True once a shutdown has begun: readiness answers 503, responses close their connection. */
  get draining(): boolean {
    return this.stopping;
  }

  /** Counts a response as in flight until it is over (called for every request). */
  track(response: ServerResponse): void {
    if (this.stopping) response.setHeader('Connection', 'close');
    this.inFlight.add(response);
    response.once('close', () => this.inFlight.delete(response));
  }

  /**
   * Makes SIGTERM and SIGINT shut `app` down gracefully (call once, in main.ts). Returns a
   * function that removes the signal listeners again. `exit` and `signals` (the process by
   * default) are for tests.
   */
  install(
    app: INestApplication,
    exit: (code: number) => void = (code) => process.exit(code),
    signals: Pick<NodeJS.EventEmitter, 'on' | 'removeListener'> = process,
  ): () => void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.stopping) {
        this.logger.warn(`${signal} again: exiting now`);
        exit(1);
        return;
      }
      this.shutdown(app, signal).then(exit, (error: unknown) => {
        this.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      });
    };
    for (const signal of SIGNALS) signals.on(signal, onSignal);
    return () => SIGNALS.forEach((signal) => signals.removeListener(signal, onSignal));
  }

  /** Runs the shutdown and resolves with the exit code (0). Rejects when closing the app fails. */
  async shutdown(app: INestApplication, reason: string): Promise<number> {
    if (this.stopping) return 0;
    this.stopping = true;
    const server = app.getHttpServer() as Server;
    // Every request from now on, whichever handler answers it (oidc-provider's too), tells its
    // client to close the connection and is waited for.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => this.track(response));
    this.logger.log(
      `${reason}: stopping; ${this.inFlight.size} request(s) in flight, waiting up to ${this.options.shutdownTimeoutMs} ms`,
    );
    for (const response of this.inFlight) {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    }
    if (this.options.shutdownDrainDelayMs > 0) {
      this.logger.log(`not ready; still serving for ${this.options.shutdownDrainDelayMs} ms so the load balancer stops sending first`);
      // setTimeout runs on the monotonic clock: a wall-clock step does not shorten the drain.
      await new Promise((resolve) => setTimeout(resolve, this.options.shutdownDrainDelayMs));
    }
    const cutOff = await this.closeServer(server);
    if (cutOff > 0) this.logger.warn(`${cutOff} request(s) still running after ${this.options.shutdownTimeoutMs} ms were cut off`);
    await app.close();
    this.logger.log('stopped');
    return 0;
  }

  /**
   * Stops listening and resolves once every connection is gone. Busy connections close when their
   * response (sent with `Connection: close`) is over. Idle keep-alive connections are kept for the
   * grace and for as long as requests are in flight: a client may have written its next request
   * on one already, and closing it under that request resets it (ECONNRESET) where an answer with
   * `Connection: close` makes the client go elsewhere cleanly. At the deadline the rest are cut.
   * Resolves with the number of requests cut off.
   */
  private closeServer(server: Server): Promise<number> {
    return new Promise((resolve) => {
      let cutOff = 0;
      const deadline = setTimeout(() => {
        cutOff = this.inFlight.size;
        server.closeAllConnections();
      }, this.options.shutdownTimeoutMs);
      const graceEndsAt = performance.now() + Math.min(this.options.shutdownIdleGraceMs, this.options.shutdownTimeoutMs);
      const sweeper = setInterval(() => {
        if (this.inFlight.size === 0 && performance.now() >= graceEndsAt) server.closeIdleConnections();
      }, 50);
      stopListening(server, () => {
        clearTimeout(deadline);
        clearInterval(sweeper);
        resolve(cutOff);
      });
    });
  }
}

/**
 * Stops accepting connections; `done` runs once the last open one has closed. This is net.Server's
 * `close()`: http.Server's own (Node 19 and later) also closes every idle keep-alive connection at
 * once, which is the reset this class avoids.
 */
function stopListening(server: Server, done: () => void): void {
  NetServer.prototype.close.call(server, () => done());
}
