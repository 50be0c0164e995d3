import { ConsoleLogger, Logger, LoggerService } from '@nestjs/common';
import type { TokenExchangeAuditEntry } from '@baton/oidc-provider-token-exchange';
import { tokenExchangeAuditSink } from './token-exchange-audit.sink';

class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: unknown; context?: string }[] = [];
  log(message: unknown, context?: string): void {
    this.lines.push({ level: 'log', message, context });
  }
  warn(message: unknown, context?: string): void {
    this.lines.push({ level: 'warn', message, context });
  }
  error(message: unknown, context?: string): void {
    this.lines.push({ level: 'error', message, context });
  }
}

describe('tokenExchangeAuditSink', () => {
  let captured: CapturingLogger;

  beforeEach(() => {
    captured = new CapturingLogger();
    Logger.overrideLogger(captured);
  });

  afterEach(() => {
    Logger.overrideLogger(new ConsoleLogger());
  });

  const granted: TokenExchangeAuditEntry = {
    event: 'token_exchange',
    decidedAt: '2026-11-27T10:00:00.000Z',
    result: 'granted',
    client: 'user-service',
    issuedJti: 'j2',
  };
  const refused: TokenExchangeAuditEntry = {
    event: 'token_exchange',
    decidedAt: '2026-11-27T10:00:00.000Z',
    result: 'refused',
    error: 'invalid_target',
    client: 'user-service',
  };

  it('logs a granted exchange as one structured line under the TokenExchangeAudit context', () => {
    tokenExchangeAuditSink()(granted);
    expect(captured.lines).toEqual([{ level: 'log', context: 'TokenExchangeAudit', message: granted }]);
  });

  it('logs a refusal as a warning, and tells onEntry every entry', () => {
    const counted: TokenExchangeAuditEntry[] = [];
    const sink = tokenExchangeAuditSink((entry) => counted.push(entry));
    sink(refused);
    sink(granted);
    expect(captured.lines.map((line) => line.level)).toEqual(['warn', 'log']);
    expect(counted).toEqual([refused, granted]);
  });
});
