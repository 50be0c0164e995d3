import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '@baton/testing';

/**
 * The built message-service started under a file size limit (RLIMIT_FSIZE, through util-linux's
 * `prlimit`): no file of the process may grow past `bytes`, so once SQLite's write-ahead log
 * reaches it, every commit fails the way it does on a full disk (the write returns EFBIG; Node
 * ignores SIGXFSZ). No root and no tmpfs needed, and `lift()` gives the space back while the
 * process keeps running.
 */
export class StorageLimitedProcess {
  private output = '';
  private readonly exit: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(env: Record<string, string>, bytes: number, readyUrl: string): Promise<StorageLimitedProcess> {
    const main = join(workspaceRoot(), 'dist', 'apps', 'message-service', 'main.js');
    // Only the soft limit: an unprivileged process may raise it again up to the (unlimited) hard one.
    const child = spawn('prlimit', [`--fsize=${bytes}:`, process.execPath, main], {
      cwd: workspaceRoot(),
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new StorageLimitedProcess(child);
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if (child.exitCode !== null) throw new Error(`message-service exited with ${child.exitCode}:\n${started.output}`);
      const answer = await fetch(readyUrl).catch(() => undefined);
      if (answer?.status === 200) return started;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await started.stop();
    throw new Error(`message-service was not ready at ${readyUrl}:\n${started.output}`);
  }

  get logs(): string {
    return this.output;
  }

  /** Gives the space back: the soft file size limit becomes unlimited again. */
  lift(): void {
    const result = spawnSync('prlimit', ['--pid', String(this.child.pid), '--fsize=unlimited:'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`prlimit failed: ${result.stderr}`);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }
}
