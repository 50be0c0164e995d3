import type { AccessTokenClaims } from '@baton/dto';
import { tokenFingerprint } from '@baton/token-exchange';

/** A JWT access token read without verifying it: the demo shows claims, the services verify. */
export interface DecodedToken {
  readonly header: { readonly alg?: string; readonly typ?: string; readonly kid?: string };
  readonly claims: Partial<AccessTokenClaims> & Record<string, unknown>;
  /** A short sha256 prefix that names the token in the trace (the token itself is never printed). */
  readonly fingerprint: string;
}

/** Splits and base64url-decodes a compact JWS. Throws a plain Error when it is not one. */
export function decodeAccessToken(token: string): DecodedToken {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT (expected three dot-separated parts)');
  const [header, payload] = parts.map((part, index) => {
    if (index === 2) return undefined;
    try {
      const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      return value as Record<string, unknown>;
    } catch {
      throw new Error(`not a JWT (its ${index === 0 ? 'header' : 'payload'} is not a base64url JSON object)`);
    }
  });
  return {
    header: header as DecodedToken['header'],
    claims: payload as DecodedToken['claims'],
    fingerprint: tokenFingerprint(token),
  };
}

/** The one fingerprint of the workspace (`sha256:<12 hex>`), re-exported for the demo's trace. */
export { tokenFingerprint };

/** The scopes of a space-separated `scope` claim. */
export function scopesOf(claims: DecodedToken['claims']): string[] {
  return typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
}
