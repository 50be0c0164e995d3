import { Inject, Injectable } from '@nestjs/common';
import { ExchangeCache } from './cache/exchange-cache';
import { ExchangeCacheKeyParts, normalizeScope } from './cache/exchange-cache-key';
import { ExchangeRequest, ExchangedToken } from './exchange-request';
import { ResolvedTokenExchangeOptions } from './resolve-token-exchange-options';
import { ExchangeOutcome, TokenExchangeCounters, TokenExchangeTelemetry } from './telemetry/token-exchange.telemetry';
import { MAX_TOKEN_LENGTH } from './token-endpoint/token-response';
import { TokenEndpointClient } from './token-endpoint/token-endpoint.client';
import { TokenTypeUri } from './token-exchange.constants';
import { RESOLVED_TOKEN_EXCHANGE_OPTIONS } from './token-exchange.module-definition';

/**
 * The RFC 8693 client: exchanges a caller's access token for one aimed at another service.
 *
 * The public face over three parts, each replaceable in a test (the Duende split):
 * - `ExchangeCache`: keyed by a hash of everything that decides the issued token, bounded,
 *   expiring before the token does, joining concurrent misses; failures are not cached;
 * - `TokenEndpointClient`: the HTTP request, client authentication, the one retry, response
 *   validation, discovery;
 * - `TokenExchangeTelemetry`: counters, the `onExchange` listeners and the log lines.
 *
 * Errors are typed and carry the HTTP answer for the caller (401, 502, 503 + Retry-After).
 */
@Injectable()
export class TokenExchangeService {
  private readonly cache: ExchangeCache | undefined;

  constructor(
    @Inject(RESOLVED_TOKEN_EXCHANGE_OPTIONS) private readonly options: ResolvedTokenExchangeOptions,
    private readonly tokenEndpoint: TokenEndpointClient,
    private readonly telemetry: TokenExchangeTelemetry,
  ) {
    this.cache = options.cacheEnabled
      ? new ExchangeCache({
          maxEntries: options.cacheSize,
          maxSkewMs: options.maxSkewMs,
          clock: options.clock,
          load: (parts) => this.exchangeWithAuthServer(parts),
          events: {
            hit: () => telemetry.cacheHit(),
            miss: (joined) => telemetry.cacheMiss(joined),
            evicted: () => telemetry.cacheEvicted(),
          },
        })
      : undefined;
  }

  /**
   * A token for `request`'s target carrying the subject's identity: from the cache when a usable
   * one is there, else from the auth server (one request however many callers ask at once).
   * Throws `SubjectTokenRejectedError` (401), `TokenExchangeMisconfiguredError` (502) or
   * `AuthServerUnavailableError` (503).
   */
  async exchange(request: ExchangeRequest): Promise<ExchangedToken> {
    const parts = this.keyParts(request);
    return this.cache === undefined ? this.exchangeWithAuthServer(parts) : this.cache.get(parts);
  }

  /**
   * Forgets the cached token for `request`, e.g. after a downstream refused it. With
   * `rejectedAccessToken`, only if the cache still holds that token: a newer one that another
   * caller already fetched is kept. Returns whether an entry was removed.
   */
  invalidate(request: ExchangeRequest, rejectedAccessToken?: string): boolean {
    const removed = this.cache?.invalidate(this.keyParts(request), rejectedAccessToken) ?? false;
    if (removed) this.telemetry.invalidated();
    return removed;
  }

  /** Empties the cache (e.g. after a key rotation at the auth server). */
  clearCache(): void {
    this.cache?.clear();
  }

  counters(): TokenExchangeCounters {
    return this.telemetry.counters(this.cache?.size ?? 0);
  }

  /**
   * Calls `listener` after every exchange with the auth server, with its duration and result
   * (for latency metrics). Returns a function that removes the listener.
   */
  onExchange(listener: (outcome: ExchangeOutcome) => void): () => void {
    return this.telemetry.onExchange(listener);
  }

  /**
   * Whether the token endpoint answers (for readiness probes): found through discovery if need
   * be, then asked with a GET. Rejects with `AuthServerUnavailableError` when it cannot be
   * reached in time or answers 5xx.
   */
  checkTokenEndpoint(): Promise<{ endpoint: string; status: number }> {
    return this.tokenEndpoint.check();
  }

  private async exchangeWithAuthServer(parts: ExchangeCacheKeyParts): Promise<ExchangedToken> {
    const started = performance.now();
    try {
      const token = await this.tokenEndpoint.exchange(parts);
      this.telemetry.exchangeSucceeded(performance.now() - started);
      return token;
    } catch (error) {
      this.telemetry.exchangeFailed(error, parts, performance.now() - started);
      throw error;
    }
  }

  private keyParts(request: ExchangeRequest): ExchangeCacheKeyParts {
    const subjectToken = request.subjectToken;
    if (typeof subjectToken !== 'string' || subjectToken === '' || subjectToken.length > MAX_TOKEN_LENGTH) {
      throw new TypeError('exchange() needs the subject token (a non-empty string of at most 16 KiB)');
    }
    const actorToken = request.actorToken;
    return {
      clientId: this.options.clientId,
      subjectToken,
      subjectTokenType: request.subjectTokenType ?? TokenTypeUri.accessToken,
      audience: request.audience,
      resource: request.resource,
      scope: normalizeScope(request.scope),
      actorToken,
      actorTokenType: actorToken === undefined ? undefined : (request.actorTokenType ?? TokenTypeUri.accessToken),
      requestedTokenType: request.requestedTokenType,
      dpopJkt: this.options.dpop?.thumbprint,
    };
  }
}
