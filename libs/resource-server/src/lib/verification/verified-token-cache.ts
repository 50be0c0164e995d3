import { createHash } from 'node:crypto';
import type { VerificationKey } from '../jwks/jwks-key-store';
import type { VerifiedClaims } from '../principal';

interface Entry {
  readonly key: VerificationKey;
  readonly claims: VerifiedClaims;
}

/**
 * Access tokens this process has accepted, so that a token presented again skips its signature
 * check, the costliest step (an ES256 verify is ~90 µs here): a caller's token on each of its
 * requests, or the exchanged token user-service keeps in its cache and sends with every call.
 *
 * - Keyed by the token's SHA-256: the cache holds no token.
 * - Only a token that passed every check enters, with its claims frozen.
 * - An entry counts only with the very key it was verified with, while the JWKS still serves that
 *   key: a key rotated out (or refetched) makes its tokens verify again.
 * - The claims' dates (`exp`, `nbf`, `iat`) are checked again at every use, by the caller.
 * - Bounded: at `maxEntries` the least recently used entry leaves, so valid tokens arriving in a
 *   flood evict each other but never grow it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  /** The cache key of a token. */
  static digestOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The claims of the token with `digest`, when it was accepted with `key`; else `undefined`. */
  get(digest: string, key: VerificationKey): VerifiedClaims | undefined {
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    this.entries.delete(digest);
    if (entry.key !== key) return undefined;
    // Back to the end of the Map's order: the most recently used leaves last.
    this.entries.set(digest, entry);
    return entry.claims;
  }

  /** Records a token that passed every check with `key`; its claims are frozen from now on. */
  remember(digest: string, key: VerificationKey, claims: VerifiedClaims): void {
    if (this.maxEntries === 0) return;
    if (!this.entries.has(digest) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(digest, { key, claims: deepFreeze(claims) });
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
