import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A server the attacker controls: it serves a JWKS (or a certificate URL) and counts every
 * request, so a test can prove the services never fetched keys from where a token pointed.
 */
export class AttackerServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly counter: { hits: number },
  ) {}

  static async start(jwks: unknown): Promise<AttackerServer> {
    const counter = { hits: 0 };
    const server = createServer((_request, response) => {
      counter.hits += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new AttackerServer(server, `http://127.0.0.1:${port}`, counter);
  }

  get hits(): number {
    return this.counter.hits;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
