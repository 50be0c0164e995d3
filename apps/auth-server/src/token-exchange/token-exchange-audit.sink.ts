import { Logger } from '@nestjs/common';
import type { TokenExchangeAuditEntry, TokenExchangeAuditSink } from '@baton/oidc-provider-token-exchange';

/**
 * The grant's audit sink in this server: each entry is one structured log line under the context
 * `TokenExchangeAudit` (operators route on it), `log` when granted and `warn` when refused; written
 * while the token request is handled, the line also carries its `requestId`. `onEntry` is told
 * every entry too (the metrics count them).
 */
export function tokenExchangeAuditSink(
  onEntry: (entry: TokenExchangeAuditEntry) => void = () => undefined,
  logger: Pick<Logger, 'log' | 'warn'> = new Logger('TokenExchangeAudit'),
): TokenExchangeAuditSink {
  return (entry) => {
    if (entry.result === 'granted') logger.log(entry);
    else logger.warn(entry);
    onEntry(entry);
  };
}
