import { hostname } from 'node:os';
import { DestinationStream, Logger, pino, stdTimeFunctions } from 'pino';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { stdoutLines } from './batched-destination';
import { prettyDestination } from './pretty-destination';
import { redactSecrets } from './redaction';

/** The service's one pino logger and where it writes (the request line is written there too). */
export interface ServiceLogger {
  readonly logger: Logger;
  readonly destination: DestinationStream;
  /** The fields every line carries after `level` and `time`, as JSON members (`"service":…,…`). */
  readonly baseFields: string;
  /** `"level":…` of a line at `label`, as the logger writes it (a name in JSON, a number for pino-pretty). */
  levelField(label: 'info' | 'warn' | 'error'): string;
  /** The id of the request being handled, or undefined outside of a request. */
  requestIdOf(): string | undefined;
  /**
   * Writes a line logged once a request's answer is over (its request line): to stdout with the
   * next line or at the end of the event loop's round (`LineBatch.writeLater`), elsewhere at once.
   */
  writeAfterAnswer(line: string): void;
}

let latest: ServiceLogger | undefined;

/**
 * The `ServiceLogger` of the app created last in this process (the only one, outside of tests), or
 * undefined before any app has one: for loggers made outside of Nest's injection (`contextLogger`).
 */
export function currentServiceLogger(): ServiceLogger | undefined {
  return latest;
}

/** Injection token of the app's `ServiceLogger`. */
export const SERVICE_LOGGER = Symbol('SERVICE_LOGGER');

const NO_FIELDS: Record<string, never> = Object.freeze({});

/**
 * The pino logger of a Baton service: JSON lines with `level` (a name), ISO `time`, `service`,
 * `version`, `pid`, `hostname`; `requestId` on every line written while a request is handled
 * (read from the request's context, so no child logger is made per request); credentials
 * redacted in one pass over each logged object (`redactSecrets`); errors logged by type and
 * message, never with a stack trace.
 *
 * Lines go to `logDestination` when given (tests), else to stdout (`stdoutLines`): each line
 * written when it is logged, in one synchronous write, so lines keep their order and a line
 * logged while a request is handled (its audit line) is out before its answer; request lines,
 * logged once the answer is over, wait for the next line or the end of the event loop's round
 * (before the next requests are read) and go out with it, in the same write; or pino-pretty for
 * `LOG_FORMAT=pretty`. (Batching every line for 10 ms was measured and dropped: a line written
 * after its answer made readers of the log, the tests among them, see it late or out of place.)
 */
export function createServiceLogger(
  options: ResolvedObservabilityOptions,
  requestIdOf: () => string | undefined,
): ServiceLogger {
  const base = { service: options.service, version: options.version, pid: process.pid, hostname: hostname() };
  const lines = options.logDestination === undefined && options.logFormat === 'json' ? stdoutLines() : undefined;
  const destination: DestinationStream = options.logDestination ?? lines ?? prettyDestination();
  const logger = pino(
    {
      level: options.logLevel,
      base,
      timestamp: stdTimeFunctions.isoTime,
      formatters: {
        // pino-pretty colours numeric levels; machines read names.
        ...(options.logFormat === 'json' ? { level: (label: string) => ({ level: label }) } : {}),
        log: (object: Record<string, unknown>) => redactSecrets(object),
        bindings: (bindings: pino.Bindings) => redactSecrets(bindings),
      },
      serializers: { err: serializeError },
      mixin: () => {
        const requestId = requestIdOf();
        return requestId === undefined ? NO_FIELDS : { requestId };
      },
      // A line's own fields win over the request id; no object is made outside of a request.
      mixinMergeStrategy: (fields: object, mixed: object) => (mixed === NO_FIELDS ? fields : Object.assign(mixed, fields)),
    },
    destination,
  );
  // pino-pretty colours numeric levels; machines read names.
  const levelField = (label: 'info' | 'warn' | 'error'): string =>
    `"level":${options.logFormat === 'json' ? JSON.stringify(label) : String(logger.levels.values[label])}`;
  const levelFields = { info: levelField('info'), warn: levelField('warn'), error: levelField('error') };
  latest = {
    logger,
    destination,
    baseFields: JSON.stringify(base).slice(1, -1),
    levelField: (label) => levelFields[label],
    requestIdOf,
    writeAfterAnswer: lines === undefined ? (line) => destination.write(line) : (line) => lines.writeLater(line),
  };
  return latest;
}

/** Errors are logged by type and message: no stack trace reaches a log line. */
export function serializeError(error: unknown): { type: string; message: string } {
  // pino-std-serializers' plain copy has `type`; an Error has `name`.
  const { type, name, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    type?: unknown;
    name?: unknown;
    message?: unknown;
  };
  return {
    type: typeof type === 'string' ? type : typeof name === 'string' ? name : typeof error,
    message: typeof message === 'string' ? message : String(error),
  };
}
