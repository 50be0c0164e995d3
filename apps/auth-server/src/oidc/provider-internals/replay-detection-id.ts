import { createHash } from 'node:crypto';

/**
 * The id under which oidc-provider's `ReplayDetection.unique(iss, jti, exp)` stores its record
 * (lib/models/replay_detection.js: SHA-256 of `iss` and `jti` concatenated, base64url). The
 * auth server consumes that same row right after `unique` said "new" (DpopSettings): `unique`
 * alone is a read then a write, so two replicas handed one proof at the same instant could both
 * see it as new; the storage's atomic consume lets exactly one of them through.
 */
export function replayDetectionId(iss: string, jti: string): string {
  return createHash('sha256').update(`${iss}${jti}`).digest('base64url');
}
