import { DemoStepError } from './demo-step.error';

/** Where the trace goes: stdout in the app, a buffer in tests. */
export interface TraceOutput {
  write(text: string): unknown;
}

type Style = 'bold' | 'dim' | 'green' | 'red' | 'cyan' | 'yellow';

const ANSI: Record<Style, [string, string]> = {
  bold: ['\u001b[1m', '\u001b[22m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  green: ['\u001b[32m', '\u001b[39m'],
  red: ['\u001b[31m', '\u001b[39m'],
  cyan: ['\u001b[36m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
};

/**
 * The readable trace of the walkthrough: steps, the requests sent and the answers received, and
 * one line per expectation (✓ or ✗). `expect` throws a DemoStepError when an expectation fails,
 * which ends the demo with a non-zero exit code.
 */
export class Trace {
  private checks = 0;

  constructor(
    private readonly output: TraceOutput,
    private readonly colors = false,
  ) {}

  /** How many expectations held so far. */
  get passedChecks(): number {
    return this.checks;
  }

  title(text: string): void {
    this.line(this.style('bold', text));
  }

  step(number: number, title: string): void {
    this.line('');
    this.line(this.style('bold', `Step ${number} · ${title}`));
  }

  section(text: string): void {
    this.line('');
    this.line(this.style('bold', text));
  }

  request(method: string, url: string, detail?: string): void {
    this.line(`  ${this.style('cyan', '→')} ${method} ${url}${detail === undefined ? '' : this.style('dim', `  ${detail}`)}`);
  }

  answer(status: number, summary: string): void {
    const color: Style = status >= 200 && status < 300 ? 'green' : status >= 500 ? 'red' : 'yellow';
    this.line(`  ${this.style('cyan', '←')} ${this.style(color, String(status))} ${summary}`);
  }

  note(text: string): void {
    this.line(`    ${text}`);
  }

  explain(text: string): void {
    this.line(`  ${this.style('dim', text)}`);
  }

  /** Prints `✓ label` when `condition` holds; otherwise `✗ label` and throws. */
  expect(condition: boolean, label: string, detail?: string): void {
    if (condition) {
      this.checks += 1;
      this.line(`  ${this.style('green', '✓')} ${label}`);
      return;
    }
    this.line(`  ${this.style('red', '✗')} ${label}`);
    if (detail !== undefined) this.line(`    ${this.style('dim', detail)}`);
    throw new DemoStepError(label, detail);
  }

  /** A table with a header row; columns padded to their widest cell. */
  table(header: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
    const render = (row: readonly string[]) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('   ');
    this.line(`    ${this.style('bold', render(header))}`);
    for (const row of rows) this.line(`    ${render(row)}`);
  }

  success(text: string): void {
    this.line('');
    this.line(this.style('green', this.style('bold', text)));
  }

  failure(text: string): void {
    this.line('');
    this.line(this.style('red', this.style('bold', text)));
  }

  line(text: string): void {
    this.output.write(`${text}\n`);
  }

  private style(style: Style, text: string): string {
    if (!this.colors) return text;
    const [open, close] = ANSI[style];
    return `${open}${text}${close}`;
  }
}
