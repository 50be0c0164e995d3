import { Writable } from 'node:stream';

/** A pino destination that keeps every line, parsed, for tests to look at. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  private raw = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.raw += chunk.toString();
    for (const line of chunk.toString().split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }

  /** Everything written, as text (to show that something never appears, in any field). */
  get text(): string {
    return this.raw;
  }

  /** The lines with every field given equal. */
  where(fields: Record<string, unknown>): Record<string, unknown>[] {
    return this.lines.filter((line) => Object.entries(fields).every(([key, value]) => line[key] === value));
  }
}
