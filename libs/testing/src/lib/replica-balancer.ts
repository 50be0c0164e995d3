import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP load balancer for replica tests: one URL (the issuer every replica is configured
 * with) in front of several replicas on 127.0.0.1. Round robin by default; `pin(index)` sends every
 * request to one replica (sign in through A, then `pin(1)` and continue at B). Each answer names
 * the replica that gave it in `X-Baton-Replica` (its index), so a test can prove where a request
 * went. A replica that refuses the connection gets no retry: the test sees the 502.
 */
export class ReplicaBalancer {
  private targets: URL[] = [];
  private next = 0;
  private pinned: number | undefined;
  /** Requests forwarded to each replica, by index. */
  readonly forwarded: number[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ReplicaBalancer> {
    const handler: { forward?: (request: IncomingMessage, response: ServerResponse) => void } = {};
    const server = createServer((request, response) => handler.forward?.(request, response));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const balancer = new ReplicaBalancer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    handler.forward = (request, response) => balancer.forward(request, response);
    return balancer;
  }

  /** The replicas' own base URLs (`http://127.0.0.1:<port>`), in index order. */
  setTargets(targets: readonly string[]): void {
    this.targets = targets.map((target) => new URL(target));
    this.forwarded.splice(0, this.forwarded.length, ...targets.map(() => 0));
  }

  /** Every request to replica `index` until `roundRobin()`. */
  pin(index: number): void {
    if (index < 0 || index >= this.targets.length) throw new Error(`no replica ${index}`);
    this.pinned = index;
  }

  roundRobin(): void {
    this.pinned = undefined;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private choose(): number {
    if (this.pinned !== undefined) return this.pinned;
    const index = this.next % this.targets.length;
    this.next += 1;
    return index;
  }

  private forward(request: IncomingMessage, response: ServerResponse): void {
    if (this.targets.length === 0) {
      response.writeHead(503).end();
      return;
    }
    const index = this.choose();
    const target = this.targets[index] as URL;
    this.forwarded[index] = (this.forwarded[index] ?? 0) + 1;
    // The Host header stays the balancer's, as a real balancer keeps it: the replicas build their
    // URLs from the configured issuer anyway.
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-baton-replica': String(index) });
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'x-baton-replica': String(index) });
      response.end();
    });
    request.pipe(upstream);
  }
}
