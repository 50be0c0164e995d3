import type { TokenExchangeAuditEntry, TokenExchangeAuditSink } from '@baton/oidc-provider-token-exchange';
import { ContextLogger, contextLogger } from '@baton/observability';

/**
 * The grant's audit sink in this server: each entry is one structured log line under the context
 * `TokenExchangeAudit` (operators route on it), level `info` when granted and `warn` when refused;
 * written while the token request is handled, the line also carries its `requestId`. The line
 * goes through one logger made once (`contextLogger`), not through Nest's `Logger` on every
 * exchange. `onEntry` is told every entry too (the metrics count them).
 */
export function tokenExchangeAuditSink(
  onEntry: (entry: TokenExchangeAuditEntry) => void = () => undefined,
  logger: ContextLogger = contextLogger('TokenExchangeAudit'),
): TokenExchangeAuditSink {
  return (entry) => {
    if (entry.result === 'granted') logger.info(entry);
    else logger.warn(entry);
    onEntry(entry);
  };
}
