import { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import { IncomingHttpHeaders } from 'node:http';
import { DpopProofs } from '../dpop/dpop-proofs';
import { DownstreamFailedError } from '../errors/downstream-failed.error';
import { DownstreamUnavailableError } from '../errors/downstream-unavailable.error';
import { ExchangeRequest, ExchangedToken } from '../exchange-request';
import { TokenExchangeService } from '../token-exchange.service';
import { withRequestHeaders } from '../request-headers';
import { DownstreamOptions } from '../token-exchange.options';
import { tokenFingerprint } from '../token-fingerprint';
import { DownstreamHttp, DownstreamTransportError, RawDownstreamResponse } from './downstream-http';
import { DownstreamRequest, DownstreamResponse } from './downstream-request';

/**
 * Calls one downstream service with a token exchanged for it. The caller's own token never
 * leaves for the downstream. When the downstream answers 401 (it no longer accepts the cached
 * token: keys rotated, token revoked), the entry is dropped and the call is made once more with a
 * fresh exchange; a second 401 is a 502.
 *
 * With DPoP, a token the auth server bound goes as `Authorization: DPoP` with a fresh proof
 * (`htm`, `htu` = base URL + path, no query, `ath`); the downstream's nonces are remembered.
 */
export class DownstreamClient {
  private readonly logger: Logger;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  /** How callers see the downstream named in error messages: its audience, else its name. */
  private readonly label: string;
  private readonly transport: DownstreamHttp;

  constructor(
    readonly name: string,
    private readonly options: DownstreamOptions,
    private readonly tokens: TokenExchangeService,
    /**
     * No longer used: downstream calls go through `node:http` with a keep-alive agent since it
     * costs a third of axios's CPU per call (the exchange itself stays on `@nestjs/axios`). Kept
     * so that code constructing a client keeps compiling.
     * @deprecated pass anything; it is ignored.
     */
    _http: HttpService | undefined,
    private readonly retryAfterSeconds: number,
    /** The module's `requestHeaders` hook: extra headers for each call (never Authorization). */
    private readonly requestHeaders?: () => Readonly<Record<string, string>>,
    /** The module's DPoP key and nonces, when `dpop` is on: bound tokens go with a proof. */
    private readonly dpop?: DpopProofs,
  ) {
    this.logger = new Logger(`DownstreamClient:${name}`);
    if (!/^https?:\/\/[^/]/.test(options.baseUrl)) {
      throw new Error(`Downstream ${name}: baseUrl must be an absolute http(s) URL`);
    }
    if (options.audience === undefined && options.resource === undefined) {
      throw new Error(`Downstream ${name}: give audience or resource to exchange tokens for`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.label = options.audience ?? name;
    this.transport = new DownstreamHttp(this.baseUrl);
  }

  /** Closes this client's kept-alive connections; `DownstreamClients` does it at shutdown. */
  close(): void {
    this.transport.close();
  }

  async request<T = unknown>(request: DownstreamRequest): Promise<DownstreamResponse<T>> {
    if (!request.path.startsWith('/') || request.path.startsWith('//')) {
      throw new TypeError(`Downstream ${this.name}: path must start with a single "/"`);
    }
    const exchange: ExchangeRequest = {
      subjectToken: request.subjectToken,
      audience: this.options.audience,
      resource: this.options.resource,
      scope: request.scope ?? this.options.scope,
    };
    const first = await this.tokens.exchange(exchange);
    let response = await this.send(request, first);
    if (response.status === 401 && first.tokenType === 'DPoP' && asksForDpopNonce(response)) {
      // Refused again with a fresh nonce: a new token would not help.
      throw new DownstreamFailedError(this.label, 'use_dpop_nonce');
    }
    if (response.status === 401) {
      this.tokens.invalidate(exchange, first.accessToken);
      this.logger.warn(`${this.name} refused exchanged token ${tokenFingerprint(first.accessToken)}; exchanging again`);
      const second = await this.tokens.exchange(exchange);
      response = await this.send(request, second);
      if (response.status === 401) throw new DownstreamFailedError(this.label, 'token_refused');
    }
    if (response.status >= 500) throw new DownstreamFailedError(this.label, `http_${response.status}`);
    if (response.status < 200 || response.status >= 300) {
      if (response.status >= 300 && response.status < 400) {
        throw new DownstreamFailedError(this.label, `http_${response.status}`);
      }
      return { status: response.status, data: parseJson(response.body) as T, headers: flatten(response.headers) };
    }
    const data = response.body === '' ? undefined : parseJson(response.body);
    if (response.body !== '' && data === undefined) throw new DownstreamFailedError(this.label, 'invalid_body');
    return { status: response.status, data: data as T, headers: flatten(response.headers) };
  }

  /**
   * One call with `token`; with a bound token, sent once more when the downstream asks for a
   * DPoP nonce (RFC 9449 §8, a 401 `use_dpop_nonce` with `DPoP-Nonce`): it refused before acting,
   * so this holds for a POST too. Not the 401 retry: that one needs a new token.
   */
  private async send(request: DownstreamRequest, token: ExchangedToken): Promise<RawDownstreamResponse> {
    const response = await this.sendOnce(request, token);
    if (this.dpop === undefined || token.tokenType !== 'DPoP') return response;
    const nonceGiven = this.dpop.rememberNonce(this.baseUrl, response.headers);
    if (!nonceGiven || response.status !== 401 || !asksForDpopNonce(response)) return response;
    this.logger.debug(`${this.name} asked for a DPoP nonce; calling again with it`);
    const again = await this.sendOnce(request, token);
    this.dpop.rememberNonce(this.baseUrl, again.headers);
    return again;
  }

  private async sendOnce(request: DownstreamRequest, token: ExchangedToken): Promise<RawDownstreamResponse> {
    const hasBody = request.body !== undefined;
    const method = request.method ?? 'GET';
    const bound = token.tokenType === 'DPoP' && this.dpop !== undefined;
    const headers = withRequestHeaders(this.requestHeaders, {
      Authorization: `${bound ? 'DPoP' : 'Bearer'} ${token.accessToken}`,
      ...(bound && this.dpop !== undefined
        ? { DPoP: this.dpop.proof({ method, url: this.baseUrl + request.path, accessToken: token.accessToken }) }
        : {}),
      Accept: 'application/json',
      ...(hasBody ? { 'Content-Type': 'application/json' } : {}),
    });
    try {
      return await this.transport.request(
        method,
        request.path + queryString(request.query),
        headers,
        hasBody ? JSON.stringify(request.body) : undefined,
        this.timeoutMs,
      );
    } catch (error) {
      if (!(error instanceof DownstreamTransportError)) throw error;
      if (error.kind === 'timeout') throw new DownstreamUnavailableError(this.label, 'timeout', this.retryAfterSeconds);
      if (error.kind === 'too_large') throw new DownstreamFailedError(this.label, 'invalid_body');
      throw new DownstreamUnavailableError(this.label, `network_error:${error.code}`, this.retryAfterSeconds);
    }
  }
}

/** A 401 whose `WWW-Authenticate` says `DPoP ... error="use_dpop_nonce"` (RFC 9449 §9). */
function asksForDpopNonce(response: RawDownstreamResponse): boolean {
  if (response.status !== 401) return false;
  const challenge = response.headers['www-authenticate'];
  const text = Array.isArray(challenge) ? challenge.join(', ') : (challenge ?? '');
  return /(^|,)\s*DPoP\b/i.test(text) && /\berror\s*=\s*"?use_dpop_nonce"?/i.test(text);
}

function queryString(query: DownstreamRequest['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function flatten(incoming: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers;
}
