import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';

/**
 * The `act` (actor) claim of RFC 8693 §4.1: who acts for the subject. A nested `act` records the
 * earlier actors, the outermost being the current one.
 */
export interface ActClaim {
  sub: string;
  act?: ActClaim;
}

/** Deeper `act` nesting than this is not a delegation chain but an attack on the parser. */
const MAX_PARSED_ACT_DEPTH = 16;

/**
 * Reads the `act` claim of a verified token (RFC 8693 §4.1): each level names its actor by `sub`.
 * Only `sub` and the nested `act` are kept; other members carry no meaning there (§4.1).
 */
export function parseActClaim(value: unknown, parameter: string): ActClaim | undefined {
  if (value === undefined) return undefined;
  const levels: string[] = [];
  let current: unknown = value;
  while (current !== undefined) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) {
      throw TokenExchangeRefusal.invalidRequest(`${parameter} act claim is malformed`);
    }
    const { sub, act } = current as { sub?: unknown; act?: unknown };
    if (typeof sub !== 'string' || sub === '') {
      throw TokenExchangeRefusal.invalidRequest(`${parameter} act claim is malformed`);
    }
    levels.push(sub);
    if (levels.length > MAX_PARSED_ACT_DEPTH) {
      throw TokenExchangeRefusal.invalidRequest(`${parameter} act claim is nested too deeply`);
    }
    current = act;
  }
  return levels.reduceRight<ActClaim | undefined>(
    (inner, sub) => (inner === undefined ? { sub } : { sub, act: inner }),
    undefined,
  );
}

/** The `act` of the issued token: the current actor, with the earlier chain nested inside. */
export function buildActClaim(actorSub: string, previous: ActClaim | undefined): ActClaim {
  return previous === undefined ? { sub: actorSub } : { sub: actorSub, act: previous };
}

/** The actors of a chain, current (outermost) first. */
export function actChain(act: ActClaim | undefined): string[] {
  const chain: string[] = [];
  for (let level = act; level !== undefined; level = level.act) chain.push(level.sub);
  return chain;
}

/** Refuses a chain holding more actors than the client's policy allows. */
export function checkActDepth(act: ActClaim, maxActDepth: number): void {
  const depth = actChain(act).length;
  if (depth > maxActDepth) {
    throw TokenExchangeRefusal.invalidRequest(
      `the delegation chain would hold ${depth} actors; this client's policy allows at most ${maxActDepth}`,
    );
  }
}
