import { DpopNonces, HmacDpopNonces } from './dpop/dpop-nonces';
import { DpopReplayStore, InMemoryDpopReplayStore } from './dpop/dpop-replay-store';
import { VerifiedClaims } from './principal';

/**
 * Signature algorithms a resource server may accept. Asymmetric only: `none` and the HMAC family
 * are never allowed (a public key must not double as an HMAC secret). `EdDSA` is Ed25519 (or
 * Ed448) as the JWK's `crv` says.
 */
export const SUPPORTED_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const;

export type AccessTokenAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** DPoP proof algorithms accepted unless `dpop.algorithms` says otherwise, in the order advertised. */
export const DEFAULT_DPOP_ALGORITHMS: readonly AccessTokenAlgorithm[] = ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'];

/**
 * Sender-constrained tokens (DPoP, RFC 9449): with this option the service accepts
 * `Authorization: DPoP <token>` with a `DPoP: <proof>` header and checks the proof and the token's
 * `cnf.jkt`. Without it, only `Bearer` is accepted. Either way a DPoP-bound token (one with
 * `cnf.jkt`) sent as `Bearer` is refused (RFC 9449 §7.2).
 */
export interface DpopOptions {
  /**
   * Which tokens must be DPoP-bound: `true` every token, a function the tokens it answers `true`
   * for (e.g. `(claims) => claims.act !== undefined`: tokens that came through an exchange).
   * Default `false`: bound tokens are checked, bearer tokens accepted as before.
   */
  required?: boolean | ((claims: VerifiedClaims) => boolean);
  /** Accepted proof algorithms. Default ES256, EdDSA, ES384, PS256, RS256. */
  algorithms?: readonly AccessTokenAlgorithm[];
  /** A proof's `iat` may be this many seconds before or after now. Default 60. */
  iatWindowSeconds?: number;
  /**
   * The base URL clients call this service at, which a proof's `htu` names (scheme, host, port,
   * and a path prefix if a proxy adds one); the request's path is appended. Default: the origin of
   * `resource`. Never taken from the `Host` header, which the caller chooses.
   */
  publicUrl?: string;
  /**
   * Server nonces (RFC 9449 §9), off by default. `{ secret }` makes stateless HMAC nonces (give
   * replicas one secret so each accepts the others'); or any `DpopNonces`.
   */
  nonce?: { secret?: string | Uint8Array; lifetimeSeconds?: number } | DpopNonces;
  /** Where used proofs are remembered. Default: bounded memory of this process (one replica). */
  replayStore?: DpopReplayStore;
  /** The clock, in ms since the epoch (tests). Default `Date.now`. */
  clock?: () => number;
}

/** `dpop` with defaults applied. */
export interface ResolvedDpopOptions {
  readonly required: (claims: VerifiedClaims) => boolean;
  /** `required: true`: every token must be DPoP-bound (metadata `dpop_bound_access_tokens_required`). */
  readonly alwaysRequired: boolean;
  readonly algorithms: readonly AccessTokenAlgorithm[];
  readonly iatWindowSeconds: number;
  /** `publicUrl` normalised, without a trailing slash: the request path is appended to it. */
  readonly publicUrl: string;
  readonly nonces: DpopNonces | undefined;
  readonly replayStore: DpopReplayStore;
  readonly clock: () => number;
}

/** What an app passes to `ResourceServerModule.forRoot(...)` / `forRootAsync(...)`. */
export interface ResourceServerModuleOptions {
  /** The exact `iss` of accepted tokens, e.g. `http://localhost:9001`. */
  issuer: string;
  /** This service's audience; a token's `aud` must contain it, e.g. `message-service`. */
  audience: string;
  /**
   * JWKS location. Default: `jwks_uri` from the issuer's discovery document, which must then be
   * on the issuer's origin (or on one of `trustedJwksOrigins`).
   */
  jwksUri?: string;
  /**
   * Origins besides the issuer's own (e.g. `https://keys.example`) where a discovered `jwks_uri`
   * may point. Default none: a discovery document that sends us elsewhere is refused, since a
   * poisoned copy of it would otherwise make an attacker's keys trusted.
   */
  trustedJwksOrigins?: readonly string[];
  /**
   * This service's resource identifier (RFC 9728 §1.2), an absolute URL such as
   * `http://localhost:8081`. When given, the protected resource metadata is published at
   * `/.well-known/oauth-protected-resource` and every challenge names its URL.
   */
  resource?: string;
  /**
   * `scopes_supported` of the protected resource metadata. Default: every scope a route of the
   * app requires with `@Scopes(...)`.
   */
  scopesSupported?: readonly string[];
  /** Accepted `alg` values. Default `['ES256']`. */
  algorithms?: readonly AccessTokenAlgorithm[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** `realm` of the `WWW-Authenticate` challenge. Default: the audience. */
  realm?: string;
  /** A token with an unknown `kid` makes at most one JWKS fetch per this interval. Default 15 000. */
  jwksRefetchMinIntervalMs?: number;
  /** Known keys are refetched after this age, so removed keys stop being trusted. Default 600 000. */
  jwksCacheMaxAgeMs?: number;
  /** Timeout of discovery and JWKS requests. Default 5 000. */
  jwksTimeoutMs?: number;
  /**
   * Accepted tokens remembered (by SHA-256, with the key that verified them) so that a token
   * presented again skips its signature check; every other check runs at every use. At most this
   * many, least recently used out first; `0` checks every signature every time. Default 10 000.
   */
  verifiedTokenCacheSize?: number;
  /** Accept DPoP-bound tokens (RFC 9449), and which tokens must be. Default: Bearer only. */
  dpop?: DpopOptions;
}

/** The options with defaults applied and checked; what the module's providers use. */
export interface ResolvedResourceServerOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string | undefined;
  /** Origins (`scheme://host:port`) a discovered `jwks_uri` may be on: the issuer's and the trusted ones. */
  readonly jwksOrigins: readonly string[];
  readonly resource: string | undefined;
  /** Absolute URL of the protected resource metadata (RFC 9728 §3.1), when `resource` is set. */
  readonly resourceMetadataUrl: string | undefined;
  readonly scopesSupported: readonly string[] | undefined;
  readonly algorithms: readonly AccessTokenAlgorithm[];
  readonly clockToleranceSeconds: number;
  readonly realm: string;
  readonly jwksRefetchMinIntervalMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksTimeoutMs: number;
  readonly verifiedTokenCacheSize: number;
  /** DPoP settings, when the service accepts DPoP. */
  readonly dpop: ResolvedDpopOptions | undefined;
  /** The `algs` of the DPoP challenge, when the service accepts DPoP (RFC 9449 §7.1). */
  readonly dpopAlgorithms: readonly string[] | undefined;
  /** Every token must be DPoP-bound: a bare challenge names DPoP alone. */
  readonly dpopAlways: boolean;
}

/** Thrown at start-up when the module is configured with something it cannot use safely. */
export class ResourceServerConfigurationError extends Error {
  readonly code = 'RESOURCE_SERVER_CONFIGURATION_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'ResourceServerConfigurationError';
  }
}

// RFC 7235 quoted-string content that needs no escaping: printable ASCII without `"` and `\`.
const HEADER_SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
// RFC 6749 §3.3 scope-token.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Where the well-known path of RFC 9728 goes for a resource identifier (§3.1: between host and path). */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

export function isSupportedAlgorithm(value: string): value is AccessTokenAlgorithm {
  return (SUPPORTED_ALGORITHMS as readonly string[]).includes(value);
}

export function resolveResourceServerOptions(options: ResourceServerModuleOptions): ResolvedResourceServerOptions {
  const issuer = requireHttpUrl('issuer', options.issuer);
  const jwksUri = options.jwksUri ? requireHttpUrl('jwksUri', options.jwksUri) : undefined;
  const jwksOrigins = [
    new URL(issuer).origin,
    ...(options.trustedJwksOrigins ?? []).map((origin) => originOf('trustedJwksOrigins', origin)),
  ];
  const resource = options.resource === undefined ? undefined : requireHttpUrl('resource', options.resource);
  if (resource !== undefined && new URL(resource).hash !== '') {
    throw new ResourceServerConfigurationError('resource must not have a fragment (RFC 9728 §1.2)');
  }
  const resourceMetadataUrl = resource === undefined ? undefined : protectedResourceMetadataUrl(resource);
  if (resourceMetadataUrl !== undefined && !HEADER_SAFE.test(resourceMetadataUrl)) {
    throw new ResourceServerConfigurationError('resource must be printable ASCII');
  }
  const scopesSupported = options.scopesSupported === undefined ? undefined : [...options.scopesSupported];
  if (scopesSupported?.some((scope) => !SCOPE_TOKEN.test(scope))) {
    throw new ResourceServerConfigurationError('scopesSupported must list scope names (RFC 6749 §3.3)');
  }
  if (typeof options.audience !== 'string' || options.audience.trim() === '') {
    throw new ResourceServerConfigurationError('audience must be a non-empty string');
  }
  const algorithms = options.algorithms ?? ['ES256'];
  if (algorithms.length === 0) {
    throw new ResourceServerConfigurationError('algorithms must list at least one algorithm');
  }
  for (const algorithm of algorithms) {
    if (!isSupportedAlgorithm(algorithm)) {
      throw new ResourceServerConfigurationError(
        `algorithm ${JSON.stringify(algorithm)} is not allowed; use one of ${SUPPORTED_ALGORITHMS.join(', ')}`,
      );
    }
  }
  const realm = options.realm ?? options.audience;
  if (!HEADER_SAFE.test(realm)) {
    throw new ResourceServerConfigurationError('realm must be printable ASCII without quotes or backslashes');
  }
  const dpop = options.dpop === undefined ? undefined : resolveDpopOptions(options.dpop, resource);
  return {
    issuer,
    audience: options.audience,
    jwksUri,
    jwksOrigins,
    resource,
    resourceMetadataUrl,
    scopesSupported,
    algorithms: [...algorithms],
    clockToleranceSeconds: nonNegativeInteger('clockToleranceSeconds', options.clockToleranceSeconds, 5),
    realm,
    jwksRefetchMinIntervalMs: nonNegativeInteger('jwksRefetchMinIntervalMs', options.jwksRefetchMinIntervalMs, 15_000),
    jwksCacheMaxAgeMs: nonNegativeInteger('jwksCacheMaxAgeMs', options.jwksCacheMaxAgeMs, 600_000),
    jwksTimeoutMs: nonNegativeInteger('jwksTimeoutMs', options.jwksTimeoutMs, 5_000),
    verifiedTokenCacheSize: nonNegativeInteger('verifiedTokenCacheSize', options.verifiedTokenCacheSize, 10_000),
    dpop,
    dpopAlgorithms: dpop?.algorithms,
    dpopAlways: dpop?.alwaysRequired ?? false,
  };
}

function resolveDpopOptions(options: DpopOptions, resource: string | undefined): ResolvedDpopOptions {
  const algorithms = [...(options.algorithms ?? DEFAULT_DPOP_ALGORITHMS)];
  if (algorithms.length === 0 || !algorithms.every(isSupportedAlgorithm)) {
    throw new ResourceServerConfigurationError(`dpop.algorithms must list algorithms from ${SUPPORTED_ALGORITHMS.join(', ')}`);
  }
  const base = options.publicUrl ?? (resource === undefined ? undefined : new URL(resource).origin);
  if (base === undefined) {
    throw new ResourceServerConfigurationError('dpop needs publicUrl (or resource): the URL a proof names is never taken from the Host header');
  }
  const url = new URL(requireHttpUrl('dpop.publicUrl', base));
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ResourceServerConfigurationError('dpop.publicUrl must have no query, fragment or credentials');
  }
  const clock = options.clock ?? Date.now;
  const required = options.required ?? false;
  const nonce = options.nonce;
  const nonces =
    nonce === undefined
      ? undefined
      : 'current' in nonce
        ? nonce
        : new HmacDpopNonces(nonce.secret, positiveInteger('dpop.nonce.lifetimeSeconds', nonce.lifetimeSeconds, 300), clock);
  return {
    required: typeof required === 'function' ? required : () => required,
    alwaysRequired: required === true,
    algorithms,
    iatWindowSeconds: positiveInteger('dpop.iatWindowSeconds', options.iatWindowSeconds, 60),
    publicUrl: `${url.origin}${url.pathname.replace(/\/$/, '')}`,
    nonces,
    replayStore: options.replayStore ?? new InMemoryDpopReplayStore(100_000, clock),
    clock,
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ResourceServerConfigurationError(`${name} must be a whole number of 1 or more`);
  return value;
}

function requireHttpUrl(name: string, value: string | undefined): string {
  let url: URL;
  try {
    url = new URL(value ?? '');
  } catch {
    throw new ResourceServerConfigurationError(`${name} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ResourceServerConfigurationError(`${name} must be an absolute http(s) URL`);
  }
  // Kept exactly as given: `iss` is compared character for character.
  return value as string;
}

/**
 * RFC 9728 §3.1: the well-known path is inserted between the host and the path of the resource
 * identifier (`https://api.example/v1` → `https://api.example/.well-known/oauth-protected-resource/v1`).
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}${PROTECTED_RESOURCE_METADATA_PATH}${path}${url.search}`;
}

function originOf(name: string, value: string): string {
  const url = new URL(requireHttpUrl(name, value));
  return url.origin;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ResourceServerConfigurationError(`${name} must be a whole number of 0 or more`);
  }
  return value;
}

export function isHeaderSafe(value: string): boolean {
  return HEADER_SAFE.test(value);
}
