import { writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/** Waiting text this long is written at once, without waiting for the end of the I/O round. */
const MAX_PENDING_CHARACTERS = 64 * 1024;

/** The longest pause before writing again to a full pipe (its reader is slow). */
const FULL_PIPE_PAUSE_MS = 10;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes text to a file descriptor (stdout) synchronously and completely: a pipe another process
 * reads may be full (EAGAIN: wait a moment and write the rest, as pino's SonicBoom does) or
 * take only part of a line; a reader that went away (EPIPE) ends the writing, silently.
 *
 * Why not SonicBoom: it measures every string's UTF-8 length before writing it and encodes it a
 * second time after, where one `writeSync` of the string does both (the byte count alone was
 * ~4 % of the auth server's CPU in a profile).
 */
export class FileDescriptorWriter implements DestinationStream {
  private closed = false;
  private readonly fd: number;

  // No parameter properties in this file: a test runs it in a child process with Node's type stripping.
  constructor(fd: number) {
    this.fd = fd;
  }

  write(text: string): void {
    if (this.closed || text === '') return;
    let rest: Buffer | undefined;
    try {
      const written = writeSync(this.fd, text);
      // The string is flat now: counting its bytes is cheap.
      const length = Buffer.byteLength(text);
      if (written >= length) return;
      rest = Buffer.from(text).subarray(written);
    } catch (error) {
      if (!this.retryable(error)) return;
      rest = Buffer.from(text);
    }
    this.writeRest(rest);
  }

  private writeRest(buffer: Buffer): void {
    let offset = 0;
    while (offset < buffer.length && !this.closed) {
      try {
        offset += writeSync(this.fd, buffer, offset);
      } catch (error) {
        if (!this.retryable(error)) return;
        Atomics.wait(pause, 0, 0, FULL_PIPE_PAUSE_MS);
      }
    }
  }

  /** True for a full pipe (write again); false for a reader gone (stop writing); anything else throws. */
  private retryable(error: unknown): boolean {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN') return true;
    if (code === 'EPIPE') {
      this.closed = true;
      return false;
    }
    throw error;
  }
}

/**
 * The service's stdout lines, with fewer system calls than one write per line (a write to a pipe
 * wakes its reader: 20-25 µs of CPU per write on a loaded machine, the largest part of what
 * logging cost; the request line alone was ~24 µs of a discovery request's 171).
 *
 * - `write` (every line pino writes: the audit line, errors, start-up) writes the line at once,
 *   as before, so that a line logged while a request is handled is out before its answer: tests
 *   and operators read the audit line as soon as they have the answer. Whatever request lines were
 *   waiting go out in the same write, ahead of it.
 * - `writeLater` (the request line: logged once the answer is over, so already after it) keeps
 *   the line until the next `write` or the end of the event loop's current round of I/O
 *   (`setImmediate`: before the process waits for I/O again and reads the next requests),
 *   whichever comes first. A token exchange's request line so joins the next exchange's audit
 *   line, and the request lines of one round go out together.
 *
 * Lines keep their order (one buffer, written in order, by a synchronous `target`). Nothing waits
 * on a clock (a 10 ms batch, tried before, let readers see a request's audit line after its
 * answer). Whatever is pending when the process exits is written by `flush` (the `exit` event:
 * `process.exit` after the graceful shutdown, an uncaught exception, the end of the event loop; see
 * `stdoutLines`). Only a process killed outright (SIGKILL, a crash of the runtime itself) loses
 * the request lines of its last round.
 */
export class LineBatch implements DestinationStream {
  private pending = '';
  private scheduled = false;
  private readonly target: DestinationStream;
  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(target: DestinationStream) {
    this.target = target;
  }

  /** Writes `line` now, after whatever was waiting. */
  write(line: string): void {
    if (this.pending === '') {
      this.target.write(line);
      return;
    }
    this.pending += line;
    this.flush();
  }

  /** Writes `line` with the next `write`, or once the event loop's current round of I/O is over. */
  writeLater(line: string): void {
    this.pending += line;
    if (this.pending.length >= MAX_PENDING_CHARACTERS) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushScheduled);
    }
  }

  /** Writes whatever is waiting, now (nothing when nothing is). */
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.target.write(text);
  }
}

let stdout: LineBatch | undefined;

/**
 * The process's one batch of stdout lines: every logger writing JSON lines to stdout in this process
 * (a test may start several apps) shares it, so that their lines keep their order, and one `exit`
 * listener writes what is pending when the process exits.
 */
export function stdoutLines(): LineBatch {
  if (stdout === undefined) {
    const batch = new LineBatch(new FileDescriptorWriter(1));
    process.on('exit', () => batch.flush());
    stdout = batch;
  }
  return stdout;
}
