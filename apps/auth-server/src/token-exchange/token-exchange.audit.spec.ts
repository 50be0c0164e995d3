import { ConsoleLogger, Logger, LoggerService } from '@nestjs/common';
import { TokenExchangeAudit } from './token-exchange.audit';

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

describe('TokenExchangeAudit', () => {
  let captured: CapturingLogger;

  beforeEach(() => {
    captured = new CapturingLogger();
    Logger.overrideLogger(captured);
  });

  afterEach(() => {
    Logger.overrideLogger(new ConsoleLogger());
  });

  it('writes one structured line for a granted exchange, under its own context', () => {
    const facts = {
      client: 'user-service',
      subjectSub: 'alice',
      subjectJti: 'j1',
      fromAudience: 'user-service',
      toAudience: 'message-service',
      scopeGranted: 'message.read',
      actChain: ['user-service'],
      issuedJti: 'j2',
      expiresIn: 300,
    };
    new TokenExchangeAudit(() => new Date('2026-11-27T10:00:00.000Z')).granted(facts);
    expect(captured.lines).toEqual([
      {
        level: 'log',
        context: 'TokenExchangeAudit',
        message: { event: 'token_exchange', decidedAt: '2026-11-27T10:00:00.000Z', result: 'granted', ...facts },
      },
    ]);
  });

  it('writes refusals as warnings with the error code and description', () => {
    new TokenExchangeAudit(() => new Date(0)).refused({ client: 'user-service' }, 'invalid_target', 'nope');
    expect(captured.lines).toEqual([
      {
        level: 'warn',
        context: 'TokenExchangeAudit',
        message: {
          event: 'token_exchange',
          decidedAt: '1970-01-01T00:00:00.000Z',
          result: 'refused',
          error: 'invalid_target',
          errorDescription: 'nope',
          client: 'user-service',
        },
      },
    ]);
  });
});
