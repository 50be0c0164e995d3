import { Logger } from '@nestjs/common';
import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { BearerChallenge, ResourceServerError } from '../errors/resource-server.error';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { keyFitsAlgorithm } from '../verification/jws-signature';

/** A key that verifies JWS signatures: a public key of the issuer's JWKS, imported once. */
export type VerificationKey = KeyObject;

/** A usable member of the fetched JWKS and its imported key. */
interface PublishedKey {
  readonly jwk: Readonly<Record<string, unknown>>;
  readonly key: KeyObject;
}

// While no key was ever fetched, retry sooner than the unknown-kid limit so a service started
// before its auth server recovers within a second, yet a flood still makes one fetch a second.
const COLD_RETRY_INTERVAL_MS = 1_000;

/**
 * The issuer's public keys, fetched from its JWKS (located through discovery unless configured)
 * and kept in memory. A token whose `kid` is unknown triggers a refetch (key rotation), but at most
 * one per `jwksRefetchMinIntervalMs`, and concurrent refetches share one request, so a flood of
 * random `kid`s cannot flood the auth server.
 *
 * Every interval here (refetch limit, cache age) is measured on a monotonic clock: a wall clock
 * stepped back (NTP, VM resume) must not stop a newly rotated key from being fetched.
 */
export class JwksKeyStore {
  private readonly logger = new Logger(JwksKeyStore.name);
  private keys: readonly PublishedKey[] | undefined;
  private keysFetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private jwksUri: string | undefined;
  private fetches = 0;

  /**
   * @param now milliseconds on a monotonic clock (`performance.now()`); tests pass one they move.
   */
  constructor(
    private readonly options: ResolvedResourceServerOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.jwksUri = options.jwksUri;
  }

  /** Number of JWKS (and discovery) requests made so far, successful or not. */
  get fetchCount(): number {
    return this.fetches;
  }

  /** True once a JWKS has been fetched successfully. */
  get ready(): boolean {
    return this.keys !== undefined;
  }

  /**
   * For readiness probes: true once keys were fetched; before that, fetches them (within the
   * same rate limit as token verification, so probes cannot flood the issuer) and tells whether
   * that worked.
   */
  async ensureReady(): Promise<boolean> {
    if (this.keys !== undefined) return true;
    if (!this.inflight && !this.mayFetch()) return false;
    try {
      await this.refresh();
    } catch {
      // Logged by load(); the probe answers "not ready".
    }
    return this.keys !== undefined;
  }

  /**
   * The key that verifies a token with this header, or a ResourceServerError: `invalid_token`
   * (unknown key) or `temporarily_unavailable` (the JWKS cannot be fetched).
   */
  async getKey(kid: string | undefined, alg: string, challenge: BearerChallenge = this.options): Promise<VerificationKey> {
    const cached = this.select(kid, alg);
    if (cached && !this.stale()) return cached;

    if (!this.inflight && !this.mayFetch()) {
      if (cached) return cached; // stale, but a refresh was tried a moment ago
      if (this.keys !== undefined) throw ResourceServerError.invalidToken('unknownKey', challenge);
      throw ResourceServerError.temporarilyUnavailable(this.retryAfterSeconds());
    }

    try {
      await this.refresh();
    } catch {
      // The issuer is unreachable: keep trusting the keys we have, but a key we do not have
      // may well be a new one, so that is "try again", not "bad token".
      if (cached) return cached;
      throw ResourceServerError.temporarilyUnavailable(this.retryAfterSeconds());
    }
    const key = this.select(kid, alg);
    if (!key) throw ResourceServerError.invalidToken('unknownKey', challenge);
    return key;
  }

  /**
   * The key for this header when the cached keys have it and are fresh, without a promise (the
   * per-request path); `undefined` means "ask `getKey()`", which refetches, waits or refuses.
   */
  freshKey(kid: string | undefined, alg: string): VerificationKey | undefined {
    const key = this.select(kid, alg);
    return key !== undefined && !this.stale() ? key : undefined;
  }

  private stale(): boolean {
    return this.now() - this.keysFetchedAt >= this.options.jwksCacheMaxAgeMs;
  }

  private mayFetch(): boolean {
    return this.now() - this.lastAttemptAt >= this.minimumInterval();
  }

  private minimumInterval(): number {
    return this.keys === undefined
      ? Math.min(COLD_RETRY_INTERVAL_MS, this.options.jwksRefetchMinIntervalMs)
      : this.options.jwksRefetchMinIntervalMs;
  }

  private retryAfterSeconds(): number {
    const remaining = this.lastAttemptAt + this.minimumInterval() - this.now();
    return Math.max(1, Math.ceil(remaining / 1000));
  }

  private refresh(): Promise<void> {
    if (!this.inflight) {
      this.lastAttemptAt = this.now();
      this.inflight = this.load().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async load(): Promise<void> {
    try {
      const jwksUri = this.jwksUri ?? (await this.discoverJwksUri());
      this.jwksUri = jwksUri;
      const document = await this.fetchJson(jwksUri);
      const keys = usableKeys(document);
      if (keys.length === 0) throw new Error(`${jwksUri} holds no usable signature keys`);
      this.keys = keys;
      this.keysFetchedAt = this.now();
      this.logger.log(`Fetched ${keys.length} signing key(s) from ${jwksUri}`);
    } catch (error) {
      const source = this.jwksUri ?? `the discovery document of ${this.options.issuer}`;
      this.logger.warn(`Cannot fetch the issuer's signing keys from ${source}: ${describeFailure(error)}`);
      throw error;
    }
  }

  /**
   * RFC 8414 metadata first, then OpenID Connect discovery; the document must name our issuer,
   * and its `jwks_uri` must be on the issuer's origin (or a trusted one): otherwise a poisoned
   * copy of the document (a shared cache keyed without Host) would make an attacker's keys trusted.
   */
  private async discoverJwksUri(): Promise<string> {
    const issuer = new URL(this.options.issuer);
    const path = issuer.pathname === '/' ? '' : issuer.pathname;
    const candidates = [
      `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
      `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    ];
    let lastError: unknown;
    for (const url of candidates) {
      try {
        const metadata = await this.fetchJson(url);
        if (!isRecord(metadata) || metadata['issuer'] !== this.options.issuer) {
          throw new Error(`${url} does not describe the issuer ${this.options.issuer}`);
        }
        const jwksUri = metadata['jwks_uri'];
        if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) {
          throw new Error(`${url} has no http(s) jwks_uri`);
        }
        const origin = originOf(jwksUri);
        if (origin === undefined || !this.options.jwksOrigins.includes(origin)) {
          throw new Error(`${url} names a jwks_uri outside the issuer's origin; set jwksUri to trust it`);
        }
        return jwksUri;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  private async fetchJson(url: string): Promise<unknown> {
    this.fetches += 1;
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.options.jwksTimeoutMs),
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  }

  /**
   * The key by jose's `createLocalJWKSet` rules (kid, alg, key type and curve, use, key_ops); none,
   * or several for a token without `kid`, is "no key": guessing among several is not verification.
   */
  private select(kid: string | undefined, alg: string): VerificationKey | undefined {
    const keys = this.keys;
    if (keys === undefined) return undefined;
    let found: PublishedKey | undefined;
    for (const published of keys) {
      if (kid !== undefined && published.jwk['kid'] !== kid) continue;
      if (!keyFitsAlgorithm(published.jwk, alg)) continue;
      if (found !== undefined) return undefined;
      found = published;
    }
    return found?.key;
  }
}

/**
 * The public signature keys of a JWKS document. Encryption keys, symmetric keys, published
 * private parts (a misconfiguration: refused rather than derived from) and unreadable keys are
 * left out; the others still verify.
 */
function usableKeys(document: unknown): PublishedKey[] {
  if (!isRecord(document) || !Array.isArray(document['keys'])) throw new Error('the JWKS has no "keys" array');
  const keys: PublishedKey[] = [];
  for (const jwk of document['keys'] as unknown[]) {
    if (!isRecord(jwk)) continue;
    if (jwk['use'] !== undefined && jwk['use'] !== 'sig') continue;
    if (!['EC', 'RSA', 'OKP'].includes(String(jwk['kty']))) continue;
    if (jwk['d'] !== undefined || jwk['p'] !== undefined) continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      continue;
    }
    // A frozen copy: what selects a key cannot change after it was checked.
    keys.push({ jwk: Object.freeze({ ...jwk }), key });
  }
  return keys;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeFailure(error: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (e.g. under Jest), failing instanceof.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  const message = (error as Error).message;
  return detail ? `${message} (${detail})` : message;
}
