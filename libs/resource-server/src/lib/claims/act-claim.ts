/**
 * The `act` (actor) claim of RFC 8693 §4.1: who acts for the subject. A nested `act` records the
 * earlier actors, the outermost being the current one.
 */
export interface ActClaim {
  /** The acting party, e.g. `user-service`. */
  readonly sub: string;
  /** The earlier actor, if any. */
  readonly act?: ActClaim;
}

/** Deepest actor chain accepted in a token; deeper nesting is refused as malformed. */
export const MAX_ACT_CHAIN_DEPTH = 16;

/** Whether `value` is a well-formed `act` claim: a non-empty `sub` at every level, bounded depth. */
export function isActClaim(value: unknown, depth = 0): value is ActClaim {
  if (depth >= MAX_ACT_CHAIN_DEPTH || typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { sub, act } = value as Record<string, unknown>;
  return typeof sub === 'string' && sub !== '' && (act === undefined || isActClaim(act, depth + 1));
}
