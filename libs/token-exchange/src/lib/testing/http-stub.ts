import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/** A request the stub received, kept so tests can count and inspect what reached "the server". */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  form: URLSearchParams;
}

/** What the stub answers; `destroy` drops the connection without an answer. */
export type StubAnswer =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | 'destroy';

export type StubHandler = (request: RecordedRequest, index: number) => StubAnswer | Promise<StubAnswer>;

/**
 * A real HTTP server on 127.0.0.1 standing in for the auth server's token endpoint or for a
 * downstream service. It counts requests where they arrive, so tests never mock axios.
 */
export class HttpStub {
  readonly requests: RecordedRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    public handler: StubHandler,
  ) {}

  static async start(handler: StubHandler): Promise<HttpStub> {
    const server = createServer();
    const stub = new HttpStub(server, handler);
    server.on('connection', (socket) => {
      stub.sockets.add(socket);
      socket.on('close', () => stub.sockets.delete(socket));
    });
    server.on('request', (request, response) => void stub.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get count(): number {
    return this.requests.length;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers: request.headers,
      body,
      form: new URLSearchParams(request.headers['content-type']?.includes('form') ? body : ''),
    };
    this.requests.push(recorded);
    const answer = await this.handler(recorded, this.requests.length - 1);
    if (answer === 'destroy') {
      request.socket.destroy();
      return;
    }
    if (answer.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, answer.delayMs);
        this.timers.add(timer);
      });
    }
    if (response.destroyed) return;
    const text = typeof answer.body === 'string' ? answer.body : answer.body === undefined ? '' : JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
      ...answer.headers,
    });
    response.end(text);
  }
}
