import { ClientAuthentication } from './client-auth/client-authentication';
import { ClientSecretBasic, ClientSecretPost } from './client-auth/client-secret.authentication';
import { PrivateKeyJwt } from './client-auth/private-key-jwt.authentication';
import { Clock, SYSTEM_CLOCK } from './clock';
import { DpopKey } from './dpop/dpop-key';
import { DpopProofs } from './dpop/dpop-proofs';
import { TokenExchangeOptionsError } from './token-exchange-options.error';
import { DownstreamOptions, TokenExchangeModuleOptions } from './token-exchange.options';

/** The options once checked, with every default filled in. */
export interface ResolvedTokenExchangeOptions {
  readonly issuer: string | undefined;
  readonly tokenEndpoint: string | undefined;
  /** Origins a discovered token endpoint may be on: the issuer's and the trusted ones. */
  readonly tokenEndpointOrigins: readonly string[];
  readonly clientId: string;
  readonly clientAuthentication: ClientAuthentication;
  readonly timeoutMs: number;
  readonly cacheEnabled: boolean;
  readonly cacheSize: number;
  readonly maxSkewMs: number;
  readonly retryMaxDelayMs: number;
  readonly retryAfterSeconds: number;
  readonly downstreams: Readonly<Record<string, DownstreamOptions>>;
  readonly clock: Clock;
  readonly requestHeaders: (() => Readonly<Record<string, string>>) | undefined;
  /** The DPoP key and the servers' nonces, when `dpop` is on. */
  readonly dpop: DpopProofs | undefined;
}

/**
 * Checks the module's options once, when the app starts, and fills in the defaults. A mistake
 * stops the app with one `TokenExchangeOptionsError` line naming the option; it never waits for
 * the first exchange to surface.
 */
export function resolveTokenExchangeOptions(options: TokenExchangeModuleOptions): ResolvedTokenExchangeOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TokenExchangeOptionsError('options', 'must be an object (forRoot({...}) or the forRootAsync factory result)');
  }
  const clientId = options.clientId;
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    throw new TokenExchangeOptionsError('clientId', "is required (this service's client id at the auth server)");
  }
  const issuer = optionalUrl('issuer', options.issuer);
  const tokenEndpoint = optionalUrl('tokenEndpoint', options.tokenEndpoint);
  if (issuer === undefined && tokenEndpoint === undefined) {
    throw new TokenExchangeOptionsError('tokenEndpoint', 'or issuer (for discovery) is required');
  }
  const trusted = options.trustedTokenEndpointOrigins ?? [];
  if (!Array.isArray(trusted)) throw new TokenExchangeOptionsError('trustedTokenEndpointOrigins', 'must be a list of origins');
  const tokenEndpointOrigins = [
    ...(issuer === undefined ? [] : [new URL(issuer).origin]),
    ...trusted.map((origin, index) => new URL(requireUrl(`trustedTokenEndpointOrigins[${index}]`, origin)).origin),
  ];
  const maxSkewSeconds = options.maxSkewSeconds ?? 30;
  if (typeof maxSkewSeconds !== 'number' || !Number.isFinite(maxSkewSeconds) || maxSkewSeconds < 0) {
    throw new TokenExchangeOptionsError('maxSkewSeconds', 'must be 0 or more');
  }
  const retryMaxDelayMs = options.retryMaxDelayMs ?? 100;
  if (typeof retryMaxDelayMs !== 'number' || !Number.isFinite(retryMaxDelayMs) || retryMaxDelayMs < 0) {
    throw new TokenExchangeOptionsError('retryMaxDelayMs', 'must be 0 or more');
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
    throw new TokenExchangeOptionsError('clock', 'must have a now() method');
  }
  if (options.requestHeaders !== undefined && typeof options.requestHeaders !== 'function') {
    throw new TokenExchangeOptionsError('requestHeaders', 'must be a function returning headers');
  }
  const downstreams = options.downstreams ?? {};
  for (const [name, downstream] of Object.entries(downstreams)) checkDownstream(name, downstream);
  return {
    issuer,
    tokenEndpoint,
    tokenEndpointOrigins,
    clientId,
    clientAuthentication: clientAuthenticationOf(options, clientId, issuer),
    timeoutMs: positive('timeoutMs', options.timeoutMs ?? 5_000),
    cacheEnabled: options.cacheEnabled ?? true,
    cacheSize: positiveInteger('cacheSize', options.cacheSize ?? 1_000),
    maxSkewMs: maxSkewSeconds * 1_000,
    retryMaxDelayMs,
    retryAfterSeconds: positiveInteger('retryAfterSeconds', options.retryAfterSeconds ?? 5),
    downstreams,
    clock: options.clock ?? SYSTEM_CLOCK,
    requestHeaders: options.requestHeaders,
    dpop: dpopOf(options.dpop),
  };
}

function dpopOf(option: TokenExchangeModuleOptions['dpop']): DpopProofs | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return new DpopProofs(DpopKey.generate());
  if (typeof option !== 'object' || option === null) {
    throw new TokenExchangeOptionsError('dpop', 'must be true, false or { key?, algorithm? }');
  }
  return new DpopProofs(option.key === undefined ? DpopKey.generate(option.algorithm) : DpopKey.from(option.key, option.algorithm));
}

function clientAuthenticationOf(
  options: TokenExchangeModuleOptions,
  clientId: string,
  issuer: string | undefined,
): ClientAuthentication {
  const { clientSecret, clientAuthentication } = options;
  if (clientSecret !== undefined && clientAuthentication !== undefined) {
    throw new TokenExchangeOptionsError('clientSecret', 'and clientAuthentication are both set; give one');
  }
  if (clientAuthentication === undefined) {
    if (typeof clientSecret !== 'string' || clientSecret === '') {
      throw new TokenExchangeOptionsError('clientSecret', 'is required (or clientAuthentication for client_secret_post or private_key_jwt)');
    }
    return new ClientSecretBasic(clientId, clientSecret);
  }
  switch (clientAuthentication.method) {
    case 'client_secret_basic':
    case 'client_secret_post': {
      const secret = clientAuthentication.clientSecret;
      if (typeof secret !== 'string' || secret === '') {
        throw new TokenExchangeOptionsError('clientAuthentication.clientSecret', `is required for ${clientAuthentication.method}`);
      }
      return clientAuthentication.method === 'client_secret_basic'
        ? new ClientSecretBasic(clientId, secret)
        : new ClientSecretPost(clientId, secret);
    }
    case 'private_key_jwt':
      return new PrivateKeyJwt(clientId, clientAuthentication, issuer);
    default:
      throw new TokenExchangeOptionsError(
        'clientAuthentication.method',
        `must be client_secret_basic, client_secret_post or private_key_jwt, got ${JSON.stringify((clientAuthentication as { method?: unknown }).method)}`,
      );
  }
}

function checkDownstream(name: string, downstream: DownstreamOptions): void {
  const option = `downstreams.${name}`;
  if (typeof downstream !== 'object' || downstream === null) throw new TokenExchangeOptionsError(option, 'must be an object');
  requireUrl(`${option}.baseUrl`, downstream.baseUrl);
  if (downstream.audience === undefined && downstream.resource === undefined) {
    throw new TokenExchangeOptionsError(option, 'needs audience or resource (what to exchange tokens for)');
  }
  if (downstream.timeoutMs !== undefined) positive(`${option}.timeoutMs`, downstream.timeoutMs);
}

function optionalUrl(option: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : requireUrl(option, value);
}

function requireUrl(option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^https?:\/\/[^/]/i.test(value) || !URL.canParse(value)) {
    throw new TokenExchangeOptionsError(option, `must be an absolute http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positive(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TokenExchangeOptionsError(option, `must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TokenExchangeOptionsError(option, `must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value;
}
