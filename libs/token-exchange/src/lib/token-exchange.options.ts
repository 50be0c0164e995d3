import { Clock } from './clock';

/** A service this one calls with exchanged tokens. */
export interface DownstreamOptions {
  /** Where the service listens, e.g. `http://localhost:8081`. */
  baseUrl: string;
  /** The logical audience to exchange for (`message-service`). Give this or `resource`. */
  audience?: string;
  /** The resource indicator (RFC 8707) to exchange for, when not using `audience`. */
  resource?: string;
  /** Scope to ask for by default; absent = whatever the auth server grants by default. */
  scope?: string | readonly string[];
  /** Time allowed for one call to the downstream, in milliseconds (default 5000). */
  timeoutMs?: number;
}

export interface TokenExchangeModuleOptions {
  /**
   * The auth server's issuer. Used to find the token endpoint through discovery
   * (`/.well-known/oauth-authorization-server`, then `/.well-known/openid-configuration`) when
   * `tokenEndpoint` is not given.
   */
  issuer?: string;
  /** The token endpoint, e.g. `http://localhost:9001/oauth2/token`. Skips discovery. */
  tokenEndpoint?: string;
  /**
   * Origins besides the issuer's own (e.g. `https://token.example`) where a discovered
   * `token_endpoint` may point. Default none: discovery that names a token endpoint on another
   * origin is refused (502 `discovery_invalid`), so a poisoned copy of the document cannot make
   * this client send its credentials elsewhere. `tokenEndpoint` itself may be anywhere.
   */
  trustedTokenEndpointOrigins?: readonly string[];
  /** This service's client id at the auth server; authenticates with client_secret_basic. */
  clientId: string;
  clientSecret: string;
  /**
   * Time allowed for one `exchange()` that goes to the auth server, retry included, in
   * milliseconds (default 5000). There is always a timeout.
   */
  timeoutMs?: number;
  /** Reuse exchanged tokens (default true). `false` exchanges on every call (benchmark baseline). */
  cacheEnabled?: boolean;
  /** Most exchanged tokens kept; the least recently used goes first (default 1000). */
  cacheSize?: number;
  /**
   * Most seconds before expiry at which a cached token stops being used (default 30). The skew
   * used is `min(maxSkewSeconds, lifetime / 4)` so short-lived tokens are still reused.
   */
  maxSkewSeconds?: number;
  /** Longest random wait before the one retry after a network error, in ms (default 100). */
  retryMaxDelayMs?: number;
  /** `Retry-After` seconds told to callers when the auth server is unavailable (default 5). */
  retryAfterSeconds?: number;
  /** Services called with exchanged tokens, by name (`{ messageService: { ... } }`). */
  downstreams?: Readonly<Record<string, DownstreamOptions>>;
  /**
   * Wall clock for expiry decisions (a cached token against its `exp`); tests pass one they
   * control. Intervals (timeouts, the retry wait) run on the monotonic `performance.now()`.
   */
  clock?: Clock;
  /**
   * Extra headers for every request this module sends (token endpoint, discovery, downstreams),
   * read at each request: e.g. `() => requestContext.outgoingHeaders()` so the request id of the
   * call being served travels on. They never replace the module's own headers (Authorization,
   * Content-Type, Accept).
   */
  requestHeaders?: () => Readonly<Record<string, string>>;
}
