import { Injectable, Logger } from '@nestjs/common';
import { ExchangeCacheKeyParts } from '../cache/exchange-cache-key';
import { AuthServerUnavailableError } from '../errors/auth-server-unavailable.error';
import { SubjectTokenRejectedError } from '../errors/subject-token-rejected.error';
import { TokenExchangeMisconfiguredError } from '../errors/token-exchange-misconfigured.error';
import { TokenExchangeError } from '../errors/token-exchange.error';
import { tokenFingerprint } from '../token-fingerprint';

/** What the client has done since it started, for metrics. */
export interface TokenExchangeCounters {
  /** HTTP requests sent to the token endpoint, retries included. */
  exchangeRequests: number;
  /** Exchanges that returned a token. */
  exchanges: number;
  cacheHits: number;
  cacheMisses: number;
  /** Calls that waited for an exchange another caller had started for the same key. */
  singleFlightJoins: number;
  /** Retries after a network error. */
  retries: number;
  /** Entries removed because a downstream refused their token. */
  invalidations: number;
  /** Entries dropped to keep the cache within its size. */
  cacheEvictions: number;
  /** Entries in the cache now. */
  cacheSize: number;
  /** Failed exchanges by code: the auth server's OAuth error, or `timeout`, `network_error`, `http_503`... */
  failures: Record<string, number>;
}

/** How one exchange with the auth server went (cache hits and joined flights make none). */
export interface ExchangeOutcome {
  /** From the start of the exchange to its end, discovery and the one retry included. */
  durationMs: number;
  /** `success`, or the failure code also counted in `counters().failures`. */
  result: string;
}

/**
 * Everything the token-exchange client reports, in one place: counters for metrics, the
 * listeners of `onExchange`, and its log lines. The cache and the token-endpoint client only say
 * what happened; how it is counted and worded is decided here. No log line holds a token: a
 * subject token is named by its fingerprint.
 */
@Injectable()
export class TokenExchangeTelemetry {
  private readonly logger = new Logger('TokenExchangeService');
  private readonly failures = new Map<string, number>();
  private readonly listeners = new Set<(outcome: ExchangeOutcome) => void>();
  private readonly stats = {
    exchangeRequests: 0,
    exchanges: 0,
    cacheHits: 0,
    cacheMisses: 0,
    singleFlightJoins: 0,
    retries: 0,
    invalidations: 0,
    cacheEvictions: 0,
  };

  cacheHit(): void {
    this.stats.cacheHits += 1;
  }

  /** A miss that starts an exchange, or (`joined`) waits for one already running for its key. */
  cacheMiss(joined: boolean): void {
    this.stats.cacheMisses += 1;
    if (joined) this.stats.singleFlightJoins += 1;
  }

  cacheEvicted(): void {
    this.stats.cacheEvictions += 1;
  }

  invalidated(): void {
    this.stats.invalidations += 1;
  }

  requestSent(): void {
    this.stats.exchangeRequests += 1;
  }

  retrying(networkCode: string, delayMs: number): void {
    this.stats.retries += 1;
    this.logger.warn(`Token endpoint unreachable (${networkCode}); retrying once in ${Math.round(delayMs)} ms`);
  }

  /** The token endpoint asked for a DPoP nonce (RFC 9449 §8): the exchange is sent once more with it. */
  dpopNonceRequired(): void {
    this.logger.debug('Token endpoint asked for a DPoP nonce; sending the exchange again with it');
  }

  discovered(endpoint: string, documentUrl: string): void {
    this.logger.log(`Token endpoint ${endpoint} (from ${documentUrl})`);
  }

  discoveryFailed(documentUrl: string, reason: string): void {
    this.logger.warn(`Discovery at ${documentUrl} failed (${reason})`);
  }

  exchangeSucceeded(durationMs: number): void {
    this.stats.exchanges += 1;
    this.notify({ durationMs, result: 'success' });
  }

  /** Logs a failed exchange as what it is, counts it by code, and tells the listeners. */
  exchangeFailed(error: unknown, parts: ExchangeCacheKeyParts, durationMs: number): void {
    const target = parts.audience ?? parts.resource ?? '(default target)';
    let code = 'internal_error';
    if (error instanceof SubjectTokenRejectedError) {
      code = error.oauthError;
      this.logger.debug(`Subject token ${tokenFingerprint(parts.subjectToken)} refused for ${target}: ${error.oauthError}`);
    } else if (error instanceof TokenExchangeMisconfiguredError) {
      code = error.oauthError;
      this.logger.error(
        `Token exchange configuration error: ${error.oauthError} for client ${parts.clientId}, target ${target} (${error.detail ?? ''})`,
      );
    } else if (error instanceof AuthServerUnavailableError) {
      code = error.reason;
      this.logger.warn(`Auth server unavailable for token exchange (${error.reason})`);
    } else if (!(error instanceof TokenExchangeError)) {
      this.logger.error(`Token exchange failed unexpectedly: ${error instanceof Error ? `${error.name}: ${error.message}` : typeof error}`);
    }
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
    this.notify({ durationMs, result: code });
  }

  /** Calls `listener` after every exchange with the auth server; returns its remover. */
  onExchange(listener: (outcome: ExchangeOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  counters(cacheSize: number): TokenExchangeCounters {
    return { ...this.stats, cacheSize, failures: Object.fromEntries(this.failures) };
  }

  private notify(outcome: ExchangeOutcome): void {
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch (error) {
        this.logger.error(`An exchange listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
