import type { JsonWebKey, KeyObject } from 'node:crypto';
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
  /** Time allowed for one call to the downstream, the whole answer read, in milliseconds (default 5000). */
  timeoutMs?: number;
}

/** How this client proves who it is to the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2). */
export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** Signature algorithms a `private_key_jwt` assertion may use. */
export type ClientAssertionAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'EdDSA';

/** A client secret, sent in the `Authorization: Basic` header or in the form body. */
export interface ClientSecretAuthentication {
  method: 'client_secret_basic' | 'client_secret_post';
  clientSecret: string;
}

/**
 * `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): each request to the token endpoint
 * carries a short-lived JWT signed with this client's private key; the auth server checks it
 * with the public key registered for the client (its `jwks` or `jwks_uri`). No shared secret.
 */
export interface PrivateKeyJwtAuthentication {
  method: 'private_key_jwt';
  /**
   * The private key: a JWK with its private members (`d`), a PEM string (PKCS#8, SEC1 or PKCS#1),
   * or a `KeyObject`. EC P-256/384/521, RSA (2048 bits or more) or Ed25519.
   */
  privateKey: JsonWebKey | string | KeyObject;
  /** `kid` of the assertion's header (default: the JWK's `kid`, else none). */
  keyId?: string;
  /** Default from the key: ES256/ES384/ES512 by curve, RS256 for RSA, PS256 for RSA-PSS, EdDSA for Ed25519. */
  algorithm?: ClientAssertionAlgorithm;
  /**
   * The assertion's `aud`: the token endpoint URL (default, RFC 7523 §3) or the issuer (what
   * newer servers prefer; needs `issuer`).
   */
  audience?: 'token_endpoint' | 'issuer';
  /** Seconds an assertion is valid (default 60, at most 300): it is signed anew for every request. */
  lifetimeSeconds?: number;
}

export type ClientAuthenticationOptions = ClientSecretAuthentication | PrivateKeyJwtAuthentication;

/**
 * DPoP (RFC 9449): exchanged tokens bound to this service's key, so a copy of one is useless
 * without the key. `dpop: true` is `dpop: {}`: a key generated at start (ES256).
 */
export interface DpopOptions {
  /**
   * The private key: a JWK with `d` (object or JSON text), a PEM private key or a `KeyObject`;
   * EC P-256 or Ed25519. Default: a new key generated at start, in memory only (tokens bound to
   * it are exchanged again after a restart: the cache does not outlive the process either).
   */
  key?: JsonWebKey | string | KeyObject;
  /** `ES256` (default for a generated key) or `EdDSA`; a configured key decides by itself. */
  algorithm?: 'ES256' | 'EdDSA';
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
  /** This service's client id at the auth server. */
  clientId: string;
  /**
   * Shorthand for `clientAuthentication: { method: 'client_secret_basic', clientSecret }`.
   * Give this or `clientAuthentication`, not both.
   */
  clientSecret?: string;
  /** How to authenticate at the token endpoint, when not with `clientSecret` and Basic. */
  clientAuthentication?: ClientAuthenticationOptions;
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
   * control. Intervals (timeouts, the retry wait) run on the monotonic `performance.now()`, and
   * `private_key_jwt` assertions are dated by the system clock (the auth server judges them by its own).
   */
  clock?: Clock;
  /**
   * Extra headers for every request this module sends (token endpoint, discovery, downstreams),
   * read at each request: e.g. `() => requestContext.outgoingHeaders()` so the request id of the
   * call being served travels on. They never replace the module's own headers (Authorization,
   * Content-Type, Accept).
   */
  requestHeaders?: () => Readonly<Record<string, string>>;
  /**
   * DPoP (RFC 9449): a proof of this service's key on every exchange and on every downstream
   * call; tokens the auth server binds (`token_type: DPoP`) go downstream as
   * `Authorization: DPoP` with a proof carrying `ath`. Server nonces are remembered per origin
   * and the refused request sent once more with it. Default off.
   */
  dpop?: boolean | DpopOptions;
}
