import { TokenExchangeAudit } from './token-exchange.audit';
import type { TokenExchangeAuditEntry } from './token-exchange-audit-entry';

describe('TokenExchangeAudit', () => {
  let entries: TokenExchangeAuditEntry[];
  const sink = (entry: TokenExchangeAuditEntry): void => {
    entries.push(entry);
  };

  beforeEach(() => {
    entries = [];
  });

  it('hands the sink one structured entry for a granted exchange', () => {
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
    new TokenExchangeAudit(sink, () => new Date('2026-11-27T10:00:00.000Z')).granted(facts);
    expect(entries).toEqual([{ event: 'token_exchange', decidedAt: '2026-11-27T10:00:00.000Z', result: 'granted', ...facts }]);
  });

  it('hands it refusals with the error code and description', () => {
    new TokenExchangeAudit(sink, () => new Date(0)).refused({ client: 'user-service' }, 'invalid_target', 'nope');
    expect(entries).toEqual([
      {
        event: 'token_exchange',
        decidedAt: '1970-01-01T00:00:00.000Z',
        result: 'refused',
        error: 'invalid_target',
        errorDescription: 'nope',
        client: 'user-service',
      },
    ]);
  });

  it('never lets the facts overwrite the decision', () => {
    const sneaky = { client: 'c', result: 'granted' } as unknown as { client: string };
    new TokenExchangeAudit(sink, () => new Date(0)).refused(sneaky, 'invalid_scope');
    expect(entries[0]?.result).toBe('refused');
  });
});
