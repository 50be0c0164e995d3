import { workspaceRoot } from '@baton/testing';
import { ChildProcess, spawn } from 'node:child_process';

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * A Node program of this repository (a built bundle or a tool script) run as a child process with
 * exactly the environment given (plus PATH), its output collected.
 */
export class NodeScript {
  private out = '';
  private err = '';
  private readonly started = performance.now();
  private readonly exit: Promise<ScriptResult>;
  private readonly waiters: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(
    script: string,
    env: Record<string, string>,
    readonly child: ChildProcess = spawn(process.execPath, [script], {
      cwd: workspaceRoot(),
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) {
    child.stdout?.on('data', (chunk: Buffer) => {
      this.out += chunk.toString();
      this.notify();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.err += chunk.toString();
      this.notify();
    });
    this.exit = new Promise((resolve) =>
      child.on('close', (code) => resolve({ code, stdout: this.out, stderr: this.err, elapsedMs: performance.now() - this.started })),
    );
  }

  /** Runs a script to its end. */
  static run(script: string, env: Record<string, string>): Promise<ScriptResult> {
    return new NodeScript(script, env).finished;
  }

  get finished(): Promise<ScriptResult> {
    return this.exit;
  }

  get output(): string {
    return this.out + this.err;
  }

  /** Resolves when stdout or stderr matches `pattern`; rejects if the script ends or time runs out first. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    if (pattern.test(this.output)) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push({ pattern, resolve })),
      this.exit.then((result) => {
        if (!pattern.test(this.output)) throw new Error(`exited with ${result.code} before printing ${pattern}:\n${this.output}`);
      }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private notify(): void {
    const output = this.output;
    for (const waiter of [...this.waiters]) {
      if (!waiter.pattern.test(output)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
