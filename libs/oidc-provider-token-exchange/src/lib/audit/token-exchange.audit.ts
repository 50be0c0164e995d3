import type { TokenExchangeAuditEntry, TokenExchangeAuditSink } from './token-exchange-audit-entry';

/** What the grant learnt about one exchange before it was granted or refused. */
export type TokenExchangeAuditFacts = Omit<TokenExchangeAuditEntry, 'event' | 'decidedAt' | 'result' | 'error' | 'errorDescription'>;

/**
 * Builds the one structured audit entry of each exchange, granted or refused, and hands it to the
 * host's sink. Entries carry `jti`s, never a token. The package writes no log itself: where the
 * line goes (and at which level) is the host's choice.
 */
export class TokenExchangeAudit {
  private readonly sink: TokenExchangeAuditSink;
  private readonly clock: () => Date;

  constructor(sink: TokenExchangeAuditSink, clock: () => Date = () => new Date()) {
    this.sink = sink;
    this.clock = clock;
  }

  granted(facts: TokenExchangeAuditFacts): TokenExchangeAuditEntry {
    return this.write(facts, { event: 'token_exchange', decidedAt: this.now(), result: 'granted' });
  }

  refused(facts: TokenExchangeAuditFacts, error: string, errorDescription?: string): TokenExchangeAuditEntry {
    return this.write(facts, {
      event: 'token_exchange',
      decidedAt: this.now(),
      result: 'refused',
      error,
      ...(errorDescription === undefined ? {} : { errorDescription }),
    });
  }

  /** The decision goes first on the line and wins over any fact of the same name. */
  private write(facts: TokenExchangeAuditFacts, decision: Omit<TokenExchangeAuditEntry, keyof TokenExchangeAuditFacts>): TokenExchangeAuditEntry {
    const entry: TokenExchangeAuditEntry = { ...decision, ...facts, ...decision };
    this.sink(entry);
    return entry;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
