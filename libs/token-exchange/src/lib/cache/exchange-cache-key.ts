import { hash } from 'node:crypto';

/** The fields of one exchange request that decide which token the auth server issues. */
export interface ExchangeCacheKeyParts {
  clientId: string;
  subjectToken: string;
  subjectTokenType: string;
  audience: string | undefined;
  resource: string | undefined;
  /** Normalized: unique scopes, sorted, space-separated. */
  scope: string | undefined;
  actorToken: string | undefined;
  actorTokenType: string | undefined;
  requestedTokenType: string | undefined;
  /**
   * The RFC 7638 thumbprint of the DPoP key the token is to be bound to (`cnf.jkt`); absent
   * without DPoP. Part of the key: a token bound to another key is never served.
   */
  dpopJkt?: string | undefined;
}

/**
 * The cache key of an exchange: a SHA-256 of every field that decides the issued token.
 *
 * - The subject token itself, not the user's name: a new token for the same user (other scopes,
 *   revoked session, other client) must never be served the exchange of an older one (Spring's
 *   `OAuth2AuthorizedClientManager` keys by principal name and does exactly that).
 * - Target, scope, actor, requested type and client: two requests that could be answered with
 *   different tokens never share an entry.
 * - The DPoP key's thumbprint: a token bound to one key is useless with another one's proofs.
 * - Each field is length-prefixed and an absent field is written differently from an empty one,
 *   so no two different requests serialize alike (`a|b` + `c` vs `a` + `b|c` cannot collide).
 * - Hashed so the cache holds no bearer token as a key, and keys have one small size.
 *
 * Length prefixes count UTF-16 code units and the text is hashed as UTF-8; the two only disagree
 * for strings with unpaired surrogates, which no valid token, audience or scope contains.
 */
export function exchangeCacheKey(parts: ExchangeCacheKeyParts): string {
  const text =
    'v1' +
    field(parts.clientId) +
    field(parts.subjectToken) +
    field(parts.subjectTokenType) +
    field(parts.audience) +
    field(parts.resource) +
    field(parts.scope) +
    field(parts.actorToken) +
    field(parts.actorTokenType) +
    field(parts.requestedTokenType) +
    field(parts.dpopJkt);
  return hash('sha256', text, 'base64url');
}

function field(value: string | undefined): string {
  return value === undefined ? '|-' : `|${value.length}:${value}`;
}

/** Unique scopes, sorted, space-separated; `undefined` when none is asked for. */
export function normalizeScope(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  if (typeof scope === 'string') {
    // The common case (one scope) needs no work.
    if (!/\s/.test(scope)) return scope === '' ? undefined : scope;
    return joinScopes(scope.split(/\s+/));
  }
  return joinScopes(scope.flatMap((entry) => entry.split(/\s+/)));
}

function joinScopes(values: string[]): string | undefined {
  const unique = [...new Set(values.filter((value) => value !== ''))].sort();
  return unique.length === 0 ? undefined : unique.join(' ');
}
