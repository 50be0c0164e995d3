import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TOKEN_EXCHANGE_GRANT_TYPE, TokenTypeUri } from '@baton/dto';
import { AxiosResponse, isAxiosError } from 'axios';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom } from 'rxjs';
import { ExchangeCacheKeyParts, exchangeCacheKey, normalizeScope } from './cache/exchange-cache-key';
import { LruCache } from './cache/lru-cache';
import { usableUntil } from './cache/usable-until';
import { Clock, TOKEN_EXCHANGE_CLOCK } from './clock';
import { AuthServerUnavailableError } from './errors/auth-server-unavailable.error';
import { SubjectTokenRejectedError } from './errors/subject-token-rejected.error';
import { TokenExchangeMisconfiguredError } from './errors/token-exchange-misconfigured.error';
import { TokenExchangeError } from './errors/token-exchange.error';
import { ExchangeRequest, ExchangedToken } from './exchange-request';
import { SingleFlight } from './single-flight';
import { withRequestHeaders } from './request-headers';
import { fingerprint } from './token-fingerprint';
import { TOKEN_EXCHANGE_OPTIONS } from './token-exchange.module-definition';
import { TokenExchangeModuleOptions } from './token-exchange.options';

/** What the service has done since it started, for metrics. */
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

interface CacheEntry {
  readonly token: ExchangedToken;
  /** Epoch ms after which the entry is no longer served. */
  readonly usableUntil: number;
}

/** Errors from connecting or talking to a server before it answered: worth one retry. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'ERR_NETWORK',
]);

/** Codes that say the caller's token is the problem (RFC 8693 §2.2.2 uses invalid_request). */
const SUBJECT_TOKEN_ERRORS = new Set(['invalid_request', 'invalid_grant']);

const MAX_TOKEN_LENGTH = 16_384;
const MAX_RESPONSE_BYTES = 65_536;
const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600;
const MAX_RETRY_AFTER_SECONDS = 300;
/** A bearer token is printable ASCII without spaces (RFC 6750 b64token is narrower still). */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

type Attempt =
  | { kind: 'response'; response: AxiosResponse<string> }
  | { kind: 'network'; code: string }
  | { kind: 'timeout' }
  | { kind: 'invalid'; detail: string };

/**
 * The RFC 8693 client: exchanges a caller's access token for one aimed at another service.
 *
 * - Cached by a hash of everything that decides the issued token (see `exchangeCacheKey`), until
 *   `min(token exp, subject exp) − min(maxSkew, lifetime/4)`; bounded (LRU); failures not cached.
 * - Concurrent misses for one key make one request (single-flight); every caller gets its result.
 * - Every request has a deadline; a network error gets one retry after a random wait.
 * - Errors are typed and carry the HTTP answer for the caller (401, 502, 503 + Retry-After).
 */
@Injectable()
export class TokenExchangeService {
  private readonly logger = new Logger(TokenExchangeService.name);
  private readonly clientId: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly cacheEnabled: boolean;
  private readonly maxSkewMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly retryAfterSeconds: number;
  private readonly cache: LruCache<CacheEntry>;
  private readonly flights = new SingleFlight<ExchangedToken>();
  private readonly failures = new Map<string, number>();
  private readonly stats = {
    exchangeRequests: 0,
    exchanges: 0,
    cacheHits: 0,
    cacheMisses: 0,
    singleFlightJoins: 0,
    retries: 0,
    invalidations: 0,
  };
  private readonly listeners = new Set<(outcome: ExchangeOutcome) => void>();
  private tokenEndpoint: string | undefined;
  private discovery: Promise<string> | undefined;
  /** Origins a discovered token endpoint may be on: the issuer's and the configured ones. */
  private readonly tokenEndpointOrigins: readonly string[];

  constructor(
    @Inject(TOKEN_EXCHANGE_OPTIONS) private readonly options: TokenExchangeModuleOptions,
    private readonly http: HttpService,
    @Inject(TOKEN_EXCHANGE_CLOCK) private readonly clock: Clock,
  ) {
    if (!options.clientId || !options.clientSecret) {
      throw new Error('TokenExchangeModule needs clientId and clientSecret');
    }
    if (!options.tokenEndpoint && !options.issuer) {
      throw new Error('TokenExchangeModule needs tokenEndpoint or issuer (for discovery)');
    }
    this.clientId = options.clientId;
    // RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding.
    const credentials = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 5_000);
    this.cacheEnabled = options.cacheEnabled ?? true;
    this.cache = new LruCache(positive('cacheSize', options.cacheSize ?? 1_000));
    this.maxSkewMs = (options.maxSkewSeconds ?? 30) * 1_000;
    if (!(this.maxSkewMs >= 0)) throw new Error('TokenExchangeModule maxSkewSeconds must be 0 or more');
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 100;
    this.retryAfterSeconds = positive('retryAfterSeconds', options.retryAfterSeconds ?? 5);
    this.tokenEndpoint = options.tokenEndpoint;
    this.tokenEndpointOrigins = [
      ...(options.issuer === undefined ? [] : [originOf('issuer', options.issuer)]),
      ...(options.trustedTokenEndpointOrigins ?? []).map((origin) => originOf('trustedTokenEndpointOrigins', origin)),
    ];
  }

  /**
   * A token for `request`'s target carrying the subject's identity: from the cache when a usable
   * one is there, else from the auth server (one request however many callers ask at once).
   * Throws `SubjectTokenRejectedError` (401), `TokenExchangeMisconfiguredError` (502) or
   * `AuthServerUnavailableError` (503).
   */
  async exchange(request: ExchangeRequest): Promise<ExchangedToken> {
    const parts = this.keyParts(request);
    if (!this.cacheEnabled) return this.exchangeAndStore(parts, undefined);
    const key = exchangeCacheKey(parts);
    const entry = this.cache.get(key);
    if (entry !== undefined) {
      if (this.clock.now() < entry.usableUntil) {
        this.stats.cacheHits += 1;
        return entry.token;
      }
      this.cache.delete(key);
    }
    this.stats.cacheMisses += 1;
    const flight = this.flights.run(key, () => this.exchangeAndStore(parts, key));
    if (flight.joined) this.stats.singleFlightJoins += 1;
    return flight.promise;
  }

  /**
   * Forgets the cached token for `request`, e.g. after a downstream refused it. With
   * `rejectedAccessToken`, only if the cache still holds that token: a newer one that another
   * caller already fetched is kept. Returns whether an entry was removed.
   */
  invalidate(request: ExchangeRequest, rejectedAccessToken?: string): boolean {
    const key = exchangeCacheKey(this.keyParts(request));
    const entry = this.cache.peek(key);
    if (entry === undefined) return false;
    if (rejectedAccessToken !== undefined && entry.token.accessToken !== rejectedAccessToken) return false;
    this.cache.delete(key);
    this.stats.invalidations += 1;
    return true;
  }

  /** Empties the cache (e.g. after a key rotation at the auth server). */
  clearCache(): void {
    this.cache.clear();
  }

  counters(): TokenExchangeCounters {
    return {
      ...this.stats,
      cacheEvictions: this.cache.evictions,
      cacheSize: this.cache.size,
      failures: Object.fromEntries(this.failures),
    };
  }

  /**
   * Calls `listener` after every exchange with the auth server, with its duration and result
   * (for latency metrics). Returns a function that removes the listener.
   */
  onExchange(listener: (outcome: ExchangeOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Whether the token endpoint answers (for readiness probes): found through discovery if need
   * be, then asked with a GET, which any auth server answers without issuing anything. Resolves
   * with the endpoint and its HTTP status; rejects with `AuthServerUnavailableError` when it
   * cannot be reached in time or answers 5xx.
   */
  async checkTokenEndpoint(): Promise<{ endpoint: string; status: number }> {
    const endpoint = await this.resolveTokenEndpoint();
    const headers = this.headers({ Accept: 'application/json' });
    const result = await this.send(() =>
      firstValueFrom(this.http.get<string>(endpoint, { headers, ...rawTextRequest(this.timeoutMs) })),
    );
    if (result.kind === 'timeout') throw new AuthServerUnavailableError('timeout', this.retryAfterSeconds);
    if (result.kind !== 'response') throw new AuthServerUnavailableError('network_error', this.retryAfterSeconds);
    if (result.response.status >= 500) {
      throw new AuthServerUnavailableError(`http_${result.response.status}`, this.retryAfterSeconds);
    }
    return { endpoint, status: result.response.status };
  }

  private keyParts(request: ExchangeRequest): ExchangeCacheKeyParts {
    const subjectToken = request.subjectToken;
    if (typeof subjectToken !== 'string' || subjectToken === '' || subjectToken.length > MAX_TOKEN_LENGTH) {
      throw new TypeError('exchange() needs the subject token (a non-empty string of at most 16 KiB)');
    }
    const actorToken = request.actorToken;
    return {
      clientId: this.clientId,
      subjectToken,
      subjectTokenType: request.subjectTokenType ?? TokenTypeUri.accessToken,
      audience: request.audience,
      resource: request.resource,
      scope: normalizeScope(request.scope),
      actorToken,
      actorTokenType: actorToken === undefined ? undefined : (request.actorTokenType ?? TokenTypeUri.accessToken),
      requestedTokenType: request.requestedTokenType,
    };
  }

  private async exchangeAndStore(parts: ExchangeCacheKeyParts, key: string | undefined): Promise<ExchangedToken> {
    const started = performance.now();
    try {
      const obtainedAt = this.clock.now();
      const token = await this.requestToken(parts, obtainedAt);
      this.stats.exchanges += 1;
      if (key !== undefined) {
        const until = usableUntil({
          obtainedAt,
          expiresAt: token.expiresAt,
          subjectExpiresAt: jwtExpiry(parts.subjectToken),
          maxSkewMs: this.maxSkewMs,
        });
        if (until > this.clock.now()) this.cache.set(key, { token, usableUntil: until });
      }
      this.notify(started, 'success');
      return token;
    } catch (error) {
      this.notify(started, this.recordFailure(error, parts));
      throw error;
    }
  }

  private notify(started: number, result: string): void {
    const outcome: ExchangeOutcome = { durationMs: performance.now() - started, result };
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch (error) {
        this.logger.error(`An exchange listener failed: ${String(error)}`);
      }
    }
  }

  private headers(own: Record<string, string>): Record<string, string> {
    return withRequestHeaders(this.options.requestHeaders, own);
  }

  private async requestToken(parts: ExchangeCacheKeyParts, obtainedAt: number): Promise<ExchangedToken> {
    const started = performance.now();
    const endpoint = await this.resolveTokenEndpoint();
    const body = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: parts.subjectToken,
      subject_token_type: parts.subjectTokenType,
    });
    if (parts.audience !== undefined) body.set('audience', parts.audience);
    if (parts.resource !== undefined) body.set('resource', parts.resource);
    if (parts.scope !== undefined) body.set('scope', parts.scope);
    if (parts.actorToken !== undefined && parts.actorTokenType !== undefined) {
      body.set('actor_token', parts.actorToken);
      body.set('actor_token_type', parts.actorTokenType);
    }
    if (parts.requestedTokenType !== undefined) body.set('requested_token_type', parts.requestedTokenType);
    const form = body.toString();

    for (let attempt = 1; ; attempt += 1) {
      const remaining = this.timeoutMs - (performance.now() - started);
      const result = remaining > 0 ? await this.post(endpoint, form, remaining) : ({ kind: 'timeout' } as const);
      switch (result.kind) {
        case 'response':
          return this.readTokenResponse(result.response, parts, obtainedAt);
        case 'invalid':
          throw new TokenExchangeMisconfiguredError('invalid_response', result.detail);
        case 'timeout':
          throw new AuthServerUnavailableError('timeout', this.retryAfterSeconds);
        case 'network': {
          // One retry, after a random wait so that many instances do not retry in step, and
          // only if the wait still leaves time for it.
          const delay = Math.random() * this.retryMaxDelayMs;
          const left = this.timeoutMs - (performance.now() - started);
          if (attempt > 1 || left <= delay) {
            throw new AuthServerUnavailableError('network_error', this.retryAfterSeconds);
          }
          this.stats.retries += 1;
          this.logger.warn(`Token endpoint unreachable (${result.code}); retrying once in ${Math.round(delay)} ms`);
          await sleep(delay);
        }
      }
    }
  }

  private async post(endpoint: string, form: string, timeoutMs: number): Promise<Attempt> {
    this.stats.exchangeRequests += 1;
    return this.send(() =>
      firstValueFrom(
        this.http.post<string>(endpoint, form, {
          headers: this.headers({
            Authorization: this.authorization,
            'Content-Type': 'application/x-www-form-urlencoded',
            Accept: 'application/json',
          }),
          ...rawTextRequest(timeoutMs),
        }),
      ),
    );
  }

  private async send(call: () => Promise<AxiosResponse<string>>): Promise<Attempt> {
    try {
      return { kind: 'response', response: await call() };
    } catch (error) {
      return classifyRequestError(error);
    }
  }

  private readTokenResponse(
    response: AxiosResponse<string>,
    parts: ExchangeCacheKeyParts,
    obtainedAt: number,
  ): ExchangedToken {
    const { status } = response;
    if (status === 429 || status >= 500) {
      throw new AuthServerUnavailableError(`http_${status}`, this.retryAfter(response) ?? this.retryAfterSeconds);
    }
    const body = parseJsonObject(response.data);
    if (status !== 200) {
      const code = typeof body?.['error'] === 'string' ? body['error'] : `http_${status}`;
      if (status === 400 && SUBJECT_TOKEN_ERRORS.has(code)) throw new SubjectTokenRejectedError(code);
      const description = typeof body?.['error_description'] === 'string' ? `: ${body['error_description']}` : '';
      throw new TokenExchangeMisconfiguredError(code, `token endpoint answered ${status} ${code}${description}`);
    }
    if (body === undefined) throw invalidResponse('the body is not a JSON object');
    return Object.freeze(validateTokenResponse(body, parts, obtainedAt));
  }

  private retryAfter(response: AxiosResponse<string>): number | undefined {
    const header = response.headers['retry-after'];
    if (typeof header !== 'string' || !/^\d{1,6}$/.test(header.trim())) return undefined;
    return Math.min(Math.max(Number(header.trim()), 1), MAX_RETRY_AFTER_SECONDS);
  }

  private resolveTokenEndpoint(): Promise<string> | string {
    if (this.tokenEndpoint !== undefined) return this.tokenEndpoint;
    this.discovery ??= this.discoverTokenEndpoint().then(
      (endpoint) => (this.tokenEndpoint = endpoint),
      (error: unknown) => {
        // Not cached: the next exchange tries discovery again.
        this.discovery = undefined;
        throw error;
      },
    );
    return this.discovery;
  }

  private async discoverTokenEndpoint(): Promise<string> {
    const issuer = (this.options.issuer ?? '').replace(/\/+$/, '');
    const started = performance.now();
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const remaining = this.timeoutMs - (performance.now() - started);
      const result: Attempt =
        remaining > 0
          ? await this.send(() =>
              firstValueFrom(
                this.http.get<string>(`${issuer}${path}`, {
                  headers: this.headers({ Accept: 'application/json' }),
                  ...rawTextRequest(remaining),
                }),
              ),
            )
          : { kind: 'timeout' };
      if (result.kind !== 'response') {
        const reason = result.kind === 'invalid' ? result.detail : result.kind;
        this.logger.warn(`Discovery at ${issuer}${path} failed (${reason})`);
        throw new AuthServerUnavailableError('discovery_failed', this.retryAfterSeconds);
      }
      const { status, data } = result.response;
      if (status === 404) continue;
      if (status !== 200) throw new AuthServerUnavailableError('discovery_failed', this.retryAfterSeconds);
      const metadata = parseJsonObject(data);
      // RFC 8414 §3.3: the document must name the issuer it was fetched for.
      if (metadata?.['issuer'] !== this.options.issuer && metadata?.['issuer'] !== issuer) {
        throw new TokenExchangeMisconfiguredError('discovery_invalid', `discovery at ${issuer}${path} names another issuer`);
      }
      const endpoint = metadata?.['token_endpoint'];
      if (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint)) {
        throw new TokenExchangeMisconfiguredError('discovery_invalid', `discovery at ${issuer}${path} has no token_endpoint`);
      }
      // A poisoned copy of the document (e.g. from a cache keyed without Host) must not make us
      // send the client secret to another host: the endpoint stays on the issuer's origin unless
      // configured otherwise.
      if (!URL.canParse(endpoint) || !this.tokenEndpointOrigins.includes(new URL(endpoint).origin)) {
        throw new TokenExchangeMisconfiguredError(
          'discovery_invalid',
          `discovery at ${issuer}${path} names a token_endpoint outside the issuer's origin; set tokenEndpoint to trust it`,
        );
      }
      this.logger.log(`Token endpoint ${endpoint} (from ${issuer}${path})`);
      return endpoint;
    }
    throw new TokenExchangeMisconfiguredError('discovery_invalid', `no discovery document at ${issuer}`);
  }

  /** Logs a failed exchange as what it is, counts it by code, and returns the code. */
  private recordFailure(error: unknown, parts: ExchangeCacheKeyParts): string {
    const target = parts.audience ?? parts.resource ?? '(default target)';
    const subject = fingerprint(parts.subjectToken);
    let code = 'internal_error';
    if (error instanceof SubjectTokenRejectedError) {
      code = error.oauthError;
      this.logger.debug(`Subject token ${subject} refused for ${target}: ${error.oauthError}`);
    } else if (error instanceof TokenExchangeMisconfiguredError) {
      code = error.oauthError;
      this.logger.error(
        `Token exchange configuration error: ${error.oauthError} for client ${this.clientId}, target ${target} (${error.detail})`,
      );
    } else if (error instanceof AuthServerUnavailableError) {
      code = error.reason;
      this.logger.warn(`Auth server unavailable for token exchange (${error.reason})`);
    } else if (!(error instanceof TokenExchangeError)) {
      this.logger.error(`Token exchange failed unexpectedly: ${String(error)}`);
    }
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
    return code;
  }
}

/** Axios options shared by every call: a deadline, the raw body, no redirects, any status. */
function rawTextRequest(timeoutMs: number) {
  return {
    signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
    responseType: 'text' as const,
    transformResponse: (data: unknown) => data,
    validateStatus: () => true,
    maxRedirects: 0,
    maxContentLength: MAX_RESPONSE_BYTES,
  };
}

function classifyRequestError(error: unknown): Attempt {
  if (!isAxiosError(error)) return { kind: 'network', code: 'unknown' };
  if (error.code === 'ERR_CANCELED') return { kind: 'timeout' };
  const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  if (NETWORK_ERROR_CODES.has(code)) return { kind: 'network', code };
  if (code === 'ERR_BAD_RESPONSE' || code === 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED') {
    return { kind: 'invalid', detail: error.message };
  }
  return { kind: 'network', code };
}

function validateTokenResponse(
  body: Record<string, unknown>,
  parts: ExchangeCacheKeyParts,
  obtainedAt: number,
): ExchangedToken {
  const accessToken = body['access_token'];
  if (typeof accessToken !== 'string' || accessToken.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(accessToken)) {
    throw invalidResponse('access_token is missing or malformed');
  }
  const tokenType = body['token_type'];
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw invalidResponse('token_type is not Bearer');
  }
  const issuedTokenType = body['issued_token_type'];
  const usable: string[] = [TokenTypeUri.accessToken, TokenTypeUri.jwt];
  if (typeof issuedTokenType !== 'string' || !usable.includes(issuedTokenType)) {
    throw invalidResponse('issued_token_type is missing or not an access token type');
  }
  if (parts.requestedTokenType !== undefined && issuedTokenType !== parts.requestedTokenType) {
    throw invalidResponse('issued_token_type is not the requested type');
  }
  const expiresIn = body['expires_in'];
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_IN_SECONDS) {
    throw invalidResponse('expires_in is missing or out of range');
  }
  const scope = body['scope'];
  if (scope !== undefined && typeof scope !== 'string') throw invalidResponse('scope is not a string');
  if (scope !== undefined && parts.scope !== undefined) {
    const asked = new Set(parts.scope.split(' '));
    if (scope.split(' ').some((granted) => granted !== '' && !asked.has(granted))) {
      throw invalidResponse('scope is wider than requested');
    }
  }
  return {
    accessToken,
    tokenType: 'Bearer',
    issuedTokenType,
    expiresAt: obtainedAt + expiresIn * 1_000,
    scope: scope ?? parts.scope,
  };
}

function invalidResponse(detail: string): TokenExchangeMisconfiguredError {
  return new TokenExchangeMisconfiguredError('invalid_response', `token endpoint response: ${detail}`);
}

function parseJsonObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The `exp` of a JWT in epoch ms, read without verifying (the resource server did that). */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = (payload as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1_000 : undefined;
  } catch {
    return undefined;
  }
}

function originOf(name: string, value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    throw new Error(`TokenExchangeModule ${name} must hold absolute URLs, got ${JSON.stringify(value)}`);
  }
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`TokenExchangeModule ${name} must be positive, got ${value}`);
  return value;
}
