/**
 * Until when a freshly exchanged token may be served from the cache, in epoch milliseconds.
 *
 * The token is valid until the earlier of its own expiry and the subject token's (the auth server
 * never issues beyond the subject's `exp`, but trust nothing). It stops being served `skew` before
 * that, so a caller never gets a token that expires on its way downstream. The skew is
 * `min(maxSkew, lifetime / 4)`: a fixed 60 s skew (Spring's default) makes every token that lives
 * under a minute count as already expired, so each call re-exchanges; a quarter of the lifetime
 * keeps short tokens useful for three quarters of their life.
 */
export function usableUntil(options: {
  obtainedAt: number;
  expiresAt: number;
  subjectExpiresAt: number | undefined;
  maxSkewMs: number;
}): number {
  const validUntil = Math.min(options.expiresAt, options.subjectExpiresAt ?? Number.POSITIVE_INFINITY);
  const lifetime = validUntil - options.obtainedAt;
  if (lifetime <= 0) return options.obtainedAt;
  const skew = Math.min(options.maxSkewMs, lifetime / 4);
  return validUntil - skew;
}
