import { createServer, Server, Socket } from 'node:net';

/**
 * A TCP server that accepts connections and never answers: what a hung service looks like from
 * outside. Used on a stopped service's port to prove callers give up within their timeout.
 */
export class BlackHole {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    });
  }

  static async listen(port: number): Promise<BlackHole> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new BlackHole(server);
  }

  /** Connections accepted so far and still open. */
  get openConnections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
