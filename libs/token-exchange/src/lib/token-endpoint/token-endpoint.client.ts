import { HttpService } from '@nestjs/axios';
import { AxiosResponse } from 'axios';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom } from 'rxjs';
import { ExchangeCacheKeyParts } from '../cache/exchange-cache-key';
import { AuthServerUnavailableError } from '../errors/auth-server-unavailable.error';
import { TokenExchangeMisconfiguredError } from '../errors/token-exchange-misconfigured.error';
import { ExchangedToken } from '../exchange-request';
import { withRequestHeaders } from '../request-headers';
import { ResolvedTokenExchangeOptions } from '../resolve-token-exchange-options';
import { TokenExchangeTelemetry } from '../telemetry/token-exchange.telemetry';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../token-exchange.constants';
import { RESOLVED_TOKEN_EXCHANGE_OPTIONS } from '../token-exchange.module-definition';
import { Attempt, attempt, parseJsonObject, rawTextRequest } from './http-attempt';
import { TokenEndpointDiscovery } from './token-endpoint-discovery';
import { readTokenResponse } from './token-response';

/**
 * Talks HTTP to the auth server's token endpoint, and nothing else: no cache, no metrics.
 *
 * - One RFC 8693 request per `exchange()`, authenticated as configured (client_secret_basic,
 *   client_secret_post or private_key_jwt), within the `timeoutMs` deadline.
 * - One retry, after a random wait, on a network error only (never a timeout, a 5xx or a 4xx),
 *   and only if the deadline leaves room for it.
 * - The answer is validated before it is returned (see `readTokenResponse`).
 * - With DPoP, a fresh proof on every request (`htm` POST, `htu` the endpoint); a `use_dpop_nonce`
 *   refusal is sent once more with the server's nonce (apart from the network retry).
 * - The endpoint is configured or found once through discovery.
 */
@Injectable()
export class TokenEndpointClient {
  private readonly discovery: TokenEndpointDiscovery;

  constructor(
    @Inject(RESOLVED_TOKEN_EXCHANGE_OPTIONS) private readonly options: ResolvedTokenExchangeOptions,
    private readonly http: HttpService,
    private readonly telemetry: TokenExchangeTelemetry,
  ) {
    this.discovery = new TokenEndpointDiscovery(options, http, telemetry);
  }

  /** The token endpoint, found through discovery the first time if it is not configured. */
  tokenEndpoint(): Promise<string> {
    return Promise.resolve(this.discovery.tokenEndpoint());
  }

  /**
   * Exchanges `parts.subjectToken` at the token endpoint. Throws `SubjectTokenRejectedError`
   * (401), `TokenExchangeMisconfiguredError` (502) or `AuthServerUnavailableError` (503).
   */
  async exchange(parts: ExchangeCacheKeyParts): Promise<ExchangedToken> {
    const started = performance.now();
    const obtainedAt = this.options.clock.now();
    const endpoint = await this.discovery.tokenEndpoint();
    const form = exchangeForm(parts);
    let networkRetried = false;
    let nonceRetried = false;
    for (;;) {
      const remaining = this.options.timeoutMs - (performance.now() - started);
      const result = remaining > 0 ? await this.post(endpoint, form, remaining) : ({ kind: 'timeout' } as const);
      switch (result.kind) {
        case 'response': {
          const nonceGiven = this.options.dpop?.rememberNonce(endpoint, result.response.headers) ?? false;
          // RFC 9449 §8: the server refused the proof for want of its nonce and gave one; the
          // request is sent once more with it. Not the network retry: each happens at most once.
          if (nonceGiven && !nonceRetried && asksForDpopNonce(result.response)) {
            nonceRetried = true;
            this.telemetry.dpopNonceRequired();
            continue;
          }
          return readTokenResponse(result.response, parts, obtainedAt, this.options.retryAfterSeconds);
        }
        case 'invalid':
          throw new TokenExchangeMisconfiguredError('invalid_response', result.detail);
        case 'timeout':
          throw new AuthServerUnavailableError('timeout', this.options.retryAfterSeconds);
        case 'network': {
          // One retry, after a random wait so that many instances do not retry in step, and
          // only if the wait still leaves time for it.
          const delay = Math.random() * this.options.retryMaxDelayMs;
          const left = this.options.timeoutMs - (performance.now() - started);
          if (networkRetried || left <= delay) {
            throw new AuthServerUnavailableError('network_error', this.options.retryAfterSeconds);
          }
          networkRetried = true;
          this.telemetry.retrying(result.code, delay);
          await sleep(delay);
        }
      }
    }
  }

  /**
   * Whether the token endpoint answers (for readiness probes): found through discovery if need
   * be, then asked with a GET, which any auth server answers without issuing anything. Resolves
   * with the endpoint and its HTTP status; rejects with `AuthServerUnavailableError` when it
   * cannot be reached in time or answers 5xx.
   */
  async check(): Promise<{ endpoint: string; status: number }> {
    const endpoint = await this.discovery.tokenEndpoint();
    const headers = withRequestHeaders(this.options.requestHeaders, { Accept: 'application/json' });
    const result = await attempt(() =>
      firstValueFrom(this.http.get<string>(endpoint, { headers, ...rawTextRequest(this.options.timeoutMs) })),
    );
    const retryAfter = this.options.retryAfterSeconds;
    if (result.kind === 'timeout') throw new AuthServerUnavailableError('timeout', retryAfter);
    if (result.kind !== 'response') throw new AuthServerUnavailableError('network_error', retryAfter);
    if (result.response.status >= 500) throw new AuthServerUnavailableError(`http_${result.response.status}`, retryAfter);
    return { endpoint, status: result.response.status };
  }

  private async post(endpoint: string, form: URLSearchParams, timeoutMs: number): Promise<Attempt> {
    // Fresh credentials per request: a private_key_jwt assertion is single-use (its jti).
    const credentials = await this.options.clientAuthentication.credentials(endpoint);
    const body = new URLSearchParams(form);
    for (const [name, value] of Object.entries(credentials.form)) body.set(name, value);
    // A fresh proof per request too (its jti is single-use), with the server's latest nonce.
    const proof = this.options.dpop?.proof({ method: 'POST', url: endpoint });
    this.telemetry.requestSent();
    return attempt(() =>
      firstValueFrom(
        this.http.post<string>(endpoint, body.toString(), {
          headers: withRequestHeaders(this.options.requestHeaders, {
            ...credentials.headers,
            ...(proof === undefined ? {} : { DPoP: proof }),
            'Content-Type': 'application/x-www-form-urlencoded',
            Accept: 'application/json',
          }),
          ...rawTextRequest(timeoutMs),
        }),
      ),
    );
  }
}

/** A 400 `use_dpop_nonce` answer (RFC 9449 §8). */
function asksForDpopNonce(response: AxiosResponse<string>): boolean {
  return response.status === 400 && parseJsonObject(response.data)?.['error'] === 'use_dpop_nonce';
}

/** The RFC 8693 §2.1 form of one exchange (client authentication added per request). */
function exchangeForm(parts: ExchangeCacheKeyParts): URLSearchParams {
  const form = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    subject_token: parts.subjectToken,
    subject_token_type: parts.subjectTokenType,
  });
  if (parts.audience !== undefined) form.set('audience', parts.audience);
  if (parts.resource !== undefined) form.set('resource', parts.resource);
  if (parts.scope !== undefined) form.set('scope', parts.scope);
  if (parts.actorToken !== undefined && parts.actorTokenType !== undefined) {
    form.set('actor_token', parts.actorToken);
    form.set('actor_token_type', parts.actorTokenType);
  }
  if (parts.requestedTokenType !== undefined) form.set('requested_token_type', parts.requestedTokenType);
  return form;
}
