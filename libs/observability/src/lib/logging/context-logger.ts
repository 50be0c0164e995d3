import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'pino';
import { redactSecrets } from './redaction';
import { currentServiceLogger, ServiceLogger } from './service-logger';

/** Structured lines under one context: `info` and `warn` take the line's fields. */
export interface ContextLogger {
  info(fields: object): void;
  warn(fields: object): void;
}

/**
 * A logger for one `context` (e.g. `TokenExchangeAudit`, which operators route on) that writes
 * each line as one JSON string straight to the app's log destination: the same line as
 * `new Logger(context).log()` writes through pino (`level`, `time`, the service's fields,
 * `context`, the request id, the fields, credentials redacted), without the layers Nest's
 * `Logger`, nestjs-pino and pino put around it (a copy of the fields, a mixin object, pino's
 * serialization: ~10 µs per line in a CPU profile, for lines written on a hot path such as the
 * audit line of every token exchange). A line pino must shape itself (an `err`, an `Error`,
 * fields `JSON.stringify` cannot write) goes through a pino child logger made once.
 * Before the app has its logger (unit tests, the first moments of start-up) lines go through
 * Nest's `Logger` instead.
 */
export function contextLogger(context: string): ContextLogger {
  const fallback = new NestLogger(context);
  let service: ServiceLogger | undefined;
  let lines: ContextLines | undefined;
  // The app's logger, read at each line: a process that creates a second app (tests) moves on to it.
  const current = (): ContextLines | undefined => {
    const latest = currentServiceLogger();
    if (latest !== service) {
      service = latest;
      lines = latest === undefined ? undefined : new ContextLines(latest, context);
    }
    return lines;
  };
  return {
    info(fields) {
      const target = current();
      if (target === undefined) fallback.log(fields);
      else target.write('info', fields);
    },
    warn(fields) {
      const target = current();
      if (target === undefined) fallback.warn(fields);
      else target.write('warn', fields);
    },
  };
}

/** The lines of one context through one app's `ServiceLogger`. */
class ContextLines {
  private readonly service: ServiceLogger;
  private readonly context: string;
  /** `,"context":…` */
  private readonly contextField: string;
  private child: Logger | undefined;

  constructor(service: ServiceLogger, context: string) {
    this.service = service;
    this.context = context;
    this.contextField = `,"context":${JSON.stringify(context)}`;
  }

  write(level: 'info' | 'warn', fields: object): void {
    if (!this.service.logger.isLevelEnabled(level)) return;
    const line = this.line(level, fields);
    if (line !== undefined) this.service.destination.write(line);
    else {
      this.child ??= this.service.logger.child({ context: this.context });
      this.child[level](fields);
    }
  }

  /** The line as pino would write it, or undefined for fields pino must shape itself. */
  private line(level: 'info' | 'warn', fields: object): string | undefined {
    // pino's `err` serializer and its handling of a logged Error (type and message, no stack).
    if (fields instanceof Error || 'err' in fields) return undefined;
    let members: string | undefined;
    try {
      members = JSON.stringify(redactSecrets(fields)) as string | undefined;
    } catch {
      // A cycle or a BigInt: pino's own stringify copes.
      return undefined;
    }
    if (members === undefined || !members.startsWith('{')) return undefined;
    // The line's own `requestId` wins over the request's, as with pino's mixin.
    const requestId = 'requestId' in fields ? undefined : this.service.requestIdOf();
    return (
      `{${this.service.levelField(level)},"time":"${new Date().toISOString()}",${this.service.baseFields}${this.contextField}` +
      (requestId === undefined ? '' : `,"requestId":${JSON.stringify(requestId)}`) +
      (members === '{}' ? '}\n' : `,${members.slice(1)}\n`)
    );
  }
}
