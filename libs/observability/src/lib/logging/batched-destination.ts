import type { DestinationStream } from 'pino';

/** Longest a line waits in memory before it is written: too short for a person to notice. */
export const LOG_FLUSH_INTERVAL_MS = 10;
/** A batch this large is written at once, without waiting for the interval. */
const MAX_BATCH_CHARACTERS = 16 * 1024;

/**
 * Log lines gathered for a few milliseconds and written in one system call, instead of one
 * synchronous write per line (two per token exchange: ~5 % of the auth server's CPU under load).
 *
 * Nothing is lost on the way out: whatever is pending is written synchronously when the process
 * exits (after SIGTERM the graceful shutdown ends with `process.exit`, which runs `exit`
 * listeners; so do an uncaught exception and the end of the event loop). Only a process killed
 * outright (SIGKILL, a crash of the runtime itself) loses its last few milliseconds of lines.
 * `target` writes synchronously (pino's SonicBoom with `sync: true`), so lines keep their order.
 */
export class BatchedDestination implements DestinationStream {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly flushOnExit = (): void => this.flushSync();
  private readonly intervalMs: number;
  private readonly exits: Pick<NodeJS.EventEmitter, 'on' | 'removeListener'>;

  /** `intervalMs` and `exits` (the process by default, whose `exit` event flushes) are for tests. */
  constructor(
    private readonly target: DestinationStream,
    options: { intervalMs?: number; exits?: Pick<NodeJS.EventEmitter, 'on' | 'removeListener'> } = {},
  ) {
    this.intervalMs = options.intervalMs ?? LOG_FLUSH_INTERVAL_MS;
    this.exits = options.exits ?? process;
    this.exits.on('exit', this.flushOnExit);
  }

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= MAX_BATCH_CHARACTERS) this.flushSync();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flushSync(), this.intervalMs);
      // A pending line never keeps the process alive: exiting writes it.
      this.timer.unref();
    }
  }

  /** Writes whatever is pending, now. */
  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending === '') return;
    const batch = this.pending;
    this.pending = '';
    this.target.write(batch);
  }

  /** Writes what is pending and stops listening for the process's exit (tests; a closed app). */
  close(): void {
    this.flushSync();
    this.exits.removeListener('exit', this.flushOnExit);
  }
}
