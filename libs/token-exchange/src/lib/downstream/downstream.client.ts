import { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import { AxiosResponse, isAxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { DownstreamFailedError } from '../errors/downstream-failed.error';
import { DownstreamUnavailableError } from '../errors/downstream-unavailable.error';
import { ExchangeRequest, ExchangedToken } from '../exchange-request';
import { TokenExchangeService } from '../token-exchange.service';
import { withRequestHeaders } from '../request-headers';
import { DownstreamOptions } from '../token-exchange.options';
import { tokenFingerprint } from '../token-fingerprint';
import { DownstreamRequest, DownstreamResponse } from './downstream-request';

const MAX_RESPONSE_BYTES = 1_048_576;

/**
 * Calls one downstream service with a token exchanged for it. The caller's own token never
 * leaves for the downstream. When the downstream answers 401 (it no longer accepts the cached
 * token: keys rotated, token revoked), the entry is dropped and the call is made once more with a
 * fresh exchange; a second 401 is a 502.
 */
export class DownstreamClient {
  private readonly logger: Logger;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  /** How callers see the downstream named in error messages: its audience, else its name. */
  private readonly label: string;

  constructor(
    readonly name: string,
    private readonly options: DownstreamOptions,
    private readonly tokens: TokenExchangeService,
    private readonly http: HttpService,
    private readonly retryAfterSeconds: number,
    /** The module's `requestHeaders` hook: extra headers for each call (never Authorization). */
    private readonly requestHeaders?: () => Readonly<Record<string, string>>,
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
      return { status: response.status, data: parseJson(response.data) as T, headers: flatten(response) };
    }
    const data = response.data === '' ? undefined : parseJson(response.data);
    if (response.data !== '' && data === undefined) throw new DownstreamFailedError(this.label, 'invalid_body');
    return { status: response.status, data: data as T, headers: flatten(response) };
  }

  private async send(request: DownstreamRequest, token: ExchangedToken): Promise<AxiosResponse<string>> {
    const url = this.baseUrl + request.path + queryString(request.query);
    const hasBody = request.body !== undefined;
    try {
      return await firstValueFrom(
        this.http.request<string>({
          url,
          method: request.method ?? 'GET',
          headers: withRequestHeaders(this.requestHeaders, {
            Authorization: `Bearer ${token.accessToken}`,
            Accept: 'application/json',
            ...(hasBody ? { 'Content-Type': 'application/json' } : {}),
          }),
          data: hasBody ? JSON.stringify(request.body) : undefined,
          signal: AbortSignal.timeout(this.timeoutMs),
          responseType: 'text',
          transformResponse: (data: unknown) => data,
          validateStatus: () => true,
          maxRedirects: 0,
          maxContentLength: MAX_RESPONSE_BYTES,
        }),
      );
    } catch (error) {
      if (isAxiosError(error) && error.code === 'ERR_CANCELED') {
        throw new DownstreamUnavailableError(this.label, 'timeout', this.retryAfterSeconds);
      }
      if (isAxiosError(error) && error.code === 'ERR_BAD_RESPONSE') {
        throw new DownstreamFailedError(this.label, 'invalid_body');
      }
      const code = isAxiosError(error) ? (error.code ?? 'unknown') : 'unknown';
      throw new DownstreamUnavailableError(this.label, `network_error:${code}`, this.retryAfterSeconds);
    }
  }
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
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function flatten(response: AxiosResponse<string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
    else if (typeof value === 'number') headers[name] = String(value);
  }
  return headers;
}
