import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-in for the auth server in tests: discovery document and JWKS over real HTTP on
 * 127.0.0.1, counting the requests it gets so tests can check fetch limits.
 */
export class JwksTestServer {
  readonly requests: string[] = [];
  private keys: object[] = [];
  private discoveryOverrides: Record<string, unknown> = {};
  private server: Server | undefined;
  private port = 0;

  static async start(keys: object[]): Promise<JwksTestServer> {
    const server = new JwksTestServer();
    server.keys = keys;
    await server.listen();
    return server;
  }

  get issuer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get jwksUri(): string {
    return `${this.issuer}/oauth2/jwks`;
  }

  get jwksFetches(): number {
    return this.requests.filter((path) => path === '/oauth2/jwks').length;
  }

  setKeys(keys: object[]): void {
    this.keys = keys;
  }

  /** Fields that replace those of the discovery document, e.g. a poisoned `jwks_uri`. */
  setDiscovery(overrides: Record<string, unknown>): void {
    this.discoveryOverrides = overrides;
  }

  /** Stops answering (connections refused) until `resume()`, on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async resume(): Promise<void> {
    await this.listen(this.port);
  }

  private async listen(port = 0): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    this.requests.push(path);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (path === '/.well-known/oauth-authorization-server') {
      send(200, {
        issuer: this.issuer,
        jwks_uri: this.jwksUri,
        token_endpoint: `${this.issuer}/oauth2/token`,
        ...this.discoveryOverrides,
      });
    } else if (path === '/oauth2/jwks') {
      send(200, { keys: this.keys });
    } else {
      send(404, { error: 'not_found' });
    }
  }
}
