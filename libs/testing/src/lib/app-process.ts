import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface StartAppOptions {
  /** Nx project name: the built bundle `dist/apps/<app>/main.js` is started. */
  app: string;
  env: Record<string, string>;
  /** URL polled until it answers 2xx (or 503 = started, not ready, when allowNotReady). */
  healthUrl: string;
  timeoutMs?: number;
}

/** A built app running as a real child process, with its output kept for assertions. */
export class AppProcess {
  private output = '';
  private exitPromise: Promise<number | null>;

  private constructor(
    readonly app: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exitPromise = new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  }

  static async start(options: StartAppOptions): Promise<AppProcess> {
    const main = join(workspaceRoot(), 'dist', 'apps', options.app, 'main.js');
    if (!existsSync(main)) {
      throw new Error(`${main} is missing: build it first (npx nx build ${options.app})`);
    }
    const child = spawn(process.execPath, [main], {
      cwd: workspaceRoot(),
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(options.app, child);
    await app.waitUntilHealthy(options.healthUrl, options.timeoutMs ?? 20_000);
    return app;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get logs(): string {
    return this.output;
  }

  get exited(): Promise<number | null> {
    return this.exitPromise;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const code = await this.exitPromise;
    clearTimeout(timer);
    return code;
  }

  private async waitUntilHealthy(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`${this.app} exited with ${this.child.exitCode} before it was healthy:\n${this.output}`);
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((wait) => setTimeout(wait, 100));
    }
    await this.stop('SIGKILL');
    throw new Error(`${this.app} was not healthy at ${url} within ${timeoutMs} ms:\n${this.output}`);
  }
}

/** The repository root (where nx.json is), found from this file or the working directory. */
export function workspaceRoot(): string {
  let directory = __dirname;
  for (let depth = 0; depth < 8; depth += 1) {
    if (existsSync(join(directory, 'nx.json'))) return directory;
    directory = resolve(directory, '..');
  }
  return process.cwd();
}
