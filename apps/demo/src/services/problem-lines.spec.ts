import { problemLines } from './problem-lines';

describe('problemLines', () => {
  const output = [
    '\u001b[32m[Nest] 1  - 11/26/2026, 9:38:17 AM \u001b[32m    LOG\u001b[39m [NestApplication] Nest application successfully started',
    '\u001b[33m[Nest] 1  - 11/26/2026, 9:38:18 AM \u001b[33m   WARN\u001b[39m [TokenExchangeService] Auth server unavailable for token exchange (timeout)',
    '{"level":"log","context":"Bootstrap","message":"auth-server listening"}',
    '{"level":"error","context":"ExceptionsHandler","message":"boom","errorId":"e-1"}',
    '[Nest] 1  - 11/26/2026, 9:38:19 AM   ERROR [UserService] first',
    '[Nest] 1  - 11/26/2026, 9:38:20 AM   ERROR [UserService] second',
  ].join('\n');

  it('keeps warnings and errors in both formats, without colour codes, the latest last', () => {
    expect(problemLines(output, 10)).toEqual([
      '[Nest] 1  - 11/26/2026, 9:38:18 AM    WARN [TokenExchangeService] Auth server unavailable for token exchange (timeout)',
      '{"level":"error","context":"ExceptionsHandler","message":"boom","errorId":"e-1"}',
      '[Nest] 1  - 11/26/2026, 9:38:19 AM   ERROR [UserService] first',
      '[Nest] 1  - 11/26/2026, 9:38:20 AM   ERROR [UserService] second',
    ]);
  });

  it('keeps only the last ones', () => {
    expect(problemLines(output, 1)).toEqual(['[Nest] 1  - 11/26/2026, 9:38:20 AM   ERROR [UserService] second']);
  });

  it('has nothing to show for a quiet service', () => {
    expect(problemLines('[Nest] 1  - LOG [Bootstrap] listening\n', 10)).toEqual([]);
  });
});
