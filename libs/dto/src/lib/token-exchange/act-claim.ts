/**
 * The `act` (actor) claim of RFC 8693 §4.1: who acts for the subject. A nested `act` records the
 * earlier actors, the outermost being the current one.
 */
export interface ActClaim {
  sub: string;
  act?: ActClaim;
}
