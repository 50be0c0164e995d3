/** One JSON log line of a Baton service (LOG_FORMAT=json). */
export type LogLine = Record<string, unknown> & { level?: string; msg?: string; service?: string; requestId?: string };

/** The JSON lines of a process's output (anything else, such as a stack trace, is skipped). */
export function jsonLogLines(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a line cut by the end of the output so far
    }
  }
  return lines;
}

/**
 * Polls `find` over fresh output until it returns something, or fails after `timeoutMs`. The limit
 * only turns a line that never comes into a failure: lines reach the test through a pipe, and on a
 * loaded machine that can take seconds, so it is generous and must not be what a verdict rests on.
 */
export async function waitForLogLine(
  output: () => string,
  find: (line: LogLine) => boolean,
  timeoutMs = 20_000,
): Promise<LogLine> {
  const started = performance.now();
  for (;;) {
    const found = jsonLogLines(output()).find(find);
    if (found !== undefined) return found;
    if (performance.now() - started > timeoutMs) throw new Error('no such log line was written');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
