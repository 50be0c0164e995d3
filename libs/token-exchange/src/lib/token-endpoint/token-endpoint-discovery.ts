import { HttpService } from '@nestjs/axios';
import { firstValueFrom } from 'rxjs';
import { AuthServerUnavailableError } from '../errors/auth-server-unavailable.error';
import { TokenExchangeMisconfiguredError } from '../errors/token-exchange-misconfigured.error';
import { withRequestHeaders } from '../request-headers';
import { ResolvedTokenExchangeOptions } from '../resolve-token-exchange-options';
import { TokenExchangeTelemetry } from '../telemetry/token-exchange.telemetry';
import { Attempt, attempt, parseJsonObject, rawTextRequest } from './http-attempt';

const DOCUMENT_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/**
 * Finds the token endpoint from the issuer's metadata (RFC 8414, then OpenID Connect Discovery),
 * once: concurrent callers share the one lookup, a failure is not remembered (the next exchange
 * tries again), a success is.
 */
export class TokenEndpointDiscovery {
  private endpoint: string | undefined;
  private running: Promise<string> | undefined;

  constructor(
    private readonly options: ResolvedTokenExchangeOptions,
    private readonly http: HttpService,
    private readonly telemetry: TokenExchangeTelemetry,
  ) {
    this.endpoint = options.tokenEndpoint;
  }

  /** The token endpoint: configured, already discovered, or discovered now. */
  tokenEndpoint(): Promise<string> | string {
    if (this.endpoint !== undefined) return this.endpoint;
    this.running ??= this.discover().then(
      (endpoint) => (this.endpoint = endpoint),
      (error: unknown) => {
        this.running = undefined;
        throw error;
      },
    );
    return this.running;
  }

  private async discover(): Promise<string> {
    const configured = this.options.issuer ?? '';
    const issuer = configured.replace(/\/+$/, '');
    const started = performance.now();
    for (const path of DOCUMENT_PATHS) {
      const url = `${issuer}${path}`;
      const remaining = this.options.timeoutMs - (performance.now() - started);
      const result: Attempt =
        remaining > 0
          ? await attempt(() =>
              firstValueFrom(
                this.http.get<string>(url, {
                  headers: withRequestHeaders(this.options.requestHeaders, { Accept: 'application/json' }),
                  ...rawTextRequest(remaining),
                }),
              ),
            )
          : { kind: 'timeout' };
      if (result.kind !== 'response') {
        this.telemetry.discoveryFailed(url, result.kind === 'invalid' ? result.detail : result.kind);
        throw new AuthServerUnavailableError('discovery_failed', this.options.retryAfterSeconds);
      }
      const { status, data } = result.response;
      if (status === 404) continue;
      if (status !== 200) throw new AuthServerUnavailableError('discovery_failed', this.options.retryAfterSeconds);
      const metadata = parseJsonObject(data);
      // RFC 8414 §3.3: the document must name the issuer it was fetched for.
      if (metadata?.['issuer'] !== configured && metadata?.['issuer'] !== issuer) {
        throw new TokenExchangeMisconfiguredError('discovery_invalid', `discovery at ${url} names another issuer`);
      }
      const endpoint = metadata['token_endpoint'];
      if (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint)) {
        throw new TokenExchangeMisconfiguredError('discovery_invalid', `discovery at ${url} has no token_endpoint`);
      }
      // A poisoned copy of the document (e.g. from a cache keyed without Host) must not make us
      // send the client's credentials to another host: the endpoint stays on the issuer's origin
      // unless configured otherwise.
      if (!URL.canParse(endpoint) || !this.options.tokenEndpointOrigins.includes(new URL(endpoint).origin)) {
        throw new TokenExchangeMisconfiguredError(
          'discovery_invalid',
          `discovery at ${url} names a token_endpoint outside the issuer's origin; set tokenEndpoint to trust it`,
        );
      }
      this.telemetry.discovered(endpoint, url);
      return endpoint;
    }
    throw new TokenExchangeMisconfiguredError('discovery_invalid', `no discovery document at ${issuer}`);
  }
}
