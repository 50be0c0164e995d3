// eslint-disable-next-line no-control-regex -- terminal colour codes, removed from logs shown to the reader
const ANSI_ESCAPES = /\u001b\[[0-9;]*m/g;
/** A log line at warn level or above, in Nest's text format or as JSON. */
const WARNING_OR_ERROR = /\b(WARN|ERROR|FATAL)\b|"level":"(warn|error|fatal)"/;

/** The last `count` warnings and errors of a service's output, without colour codes. */
export function problemLines(output: string, count: number): string[] {
  return output
    .replace(ANSI_ESCAPES, '')
    .split('\n')
    .filter((line) => WARNING_OR_ERROR.test(line))
    .slice(-count);
}
