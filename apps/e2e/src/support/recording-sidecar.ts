import { createServer, IncomingHttpHeaders, request as httpRequest, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** What went through the sidecar: one request's method, path and headers, and the answer's status. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  status?: number;
}

/**
 * A compromised sidecar: an HTTP proxy in front of a service that forwards every request
 * unchanged and keeps a copy of what it saw (the `Authorization` and `DPoP` headers included).
 * It is the attacker's vantage point of the DPoP tests: whatever it copies, another process
 * replays. The target is set once the service's port is known.
 */
export class RecordingSidecar {
  readonly seen: SeenRequest[] = [];
  private target: URL | undefined;

  private readonly server: Server = createServer((incoming, outgoing) => {
    const target = this.target;
    if (target === undefined) {
      outgoing.writeHead(503).end();
      return;
    }
    const seen: SeenRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: { ...incoming.headers } };
    this.seen.push(seen);
    const forwarded = httpRequest(
      { hostname: target.hostname, port: target.port, method: seen.method, path: seen.path, headers: incoming.headers },
      (answer) => {
        seen.status = answer.statusCode;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.headersSent || outgoing.writeHead(502).end());
    incoming.pipe(forwarded);
  });

  static async start(): Promise<RecordingSidecar> {
    const sidecar = new RecordingSidecar();
    await new Promise<void>((resolve) => sidecar.server.listen(0, '127.0.0.1', resolve));
    return sidecar;
  }

  /** Where clients call the sidecar (the URL the service behind it is known by). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  forwardTo(url: string): void {
    this.target = new URL(url);
  }

  /** The last request it saw that carried an `Authorization` header. */
  lastAuthorized(): SeenRequest {
    const found = [...this.seen].reverse().find((seen) => typeof seen.headers.authorization === 'string');
    if (found === undefined) throw new Error('the sidecar saw no authorized request');
    return found;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
