import { Logger } from '@nestjs/common';
import type { TokenExchangeAuditEntry } from '@baton/dto';

/** What the grant learnt about one exchange before it was granted or refused. */
export type TokenExchangeAuditFacts = Omit<TokenExchangeAuditEntry, 'event' | 'decidedAt' | 'result' | 'error' | 'errorDescription'>;

/**
 * Writes the one structured audit line of each exchange, granted or refused. Entries carry
 * `jti`s, never a token; the logger context `TokenExchangeAudit` lets operators route them.
 * Written while the token request is handled, the line also carries its `requestId`.
 * `onEntry` is told every entry too (metrics count them).
 */
export class TokenExchangeAudit {
  private readonly logger = new Logger('TokenExchangeAudit');

  constructor(
    private readonly clock: () => Date = () => new Date(),
    private readonly onEntry: (entry: TokenExchangeAuditEntry) => void = () => undefined,
  ) {}

  granted(facts: TokenExchangeAuditFacts): TokenExchangeAuditEntry {
    const entry: TokenExchangeAuditEntry = { event: 'token_exchange', decidedAt: this.now(), result: 'granted', ...facts };
    this.logger.log(entry);
    this.onEntry(entry);
    return entry;
  }

  refused(facts: TokenExchangeAuditFacts, error: string, errorDescription?: string): TokenExchangeAuditEntry {
    const entry: TokenExchangeAuditEntry = {
      event: 'token_exchange',
      decidedAt: this.now(),
      result: 'refused',
      error,
      ...(errorDescription === undefined ? {} : { errorDescription }),
      ...facts,
    };
    this.logger.warn(entry);
    this.onEntry(entry);
    return entry;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
