import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '../../../bench/lib/server.mts';

/**
 * One built service (`dist/apps/<app>/main.js`) that the soak can kill with SIGKILL and start
 * again on the same port with the same environment (same data folder, same database file), so
 * that what it persisted is what it finds. Output goes to a log file in the run folder.
 */
export class SoakService {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log: WriteStream | undefined;
  starts = 0;
  readonly app: string;
  readonly url: string;
  readonly logFile: string;
  private readonly env: Record<string, string>;

  // No parameter properties: Node's type stripping runs this file as it is.
  constructor(app: string, url: string, env: Record<string, string>, logFile: string) {
    this.app = app;
    this.url = url;
    this.env = env;
    this.logFile = logFile;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const main = join(workspaceRoot, 'dist', 'apps', this.app, 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npx nx run-many -t build -p auth-server user-service message-service`);
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [main], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'] ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    this.starts += 1;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${this.app} exited with ${child.exitCode}; see ${this.logFile}`);
      try {
        if ((await fetch(`${this.url}/health/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.app} did not become ready in 30 s; see ${this.logFile}`);
      await new Promise((wait) => setTimeout(wait, 50));
    }
  }

  /** `kill -9`: no shutdown hooks, nothing flushed that was not already written. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    if (this.child !== undefined && this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.child = undefined;
    const log = this.log;
    if (log !== undefined) await new Promise<void>((resolve) => log.end(resolve));
  }

  /** Resident set size in MiB, from /proc (`undefined` where there is none). */
  rssMiB(): number | undefined {
    if (this.child?.pid === undefined) return undefined;
    try {
      const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
      return kib === undefined ? undefined : Number(kib) / 1024;
    } catch {
      return undefined;
    }
  }
}
