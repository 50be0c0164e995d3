/**
 * What one client may do with the token-exchange grant, from the `tokenExchange` block of its
 * entry in the declarative configuration file, with defaults applied.
 */
export interface TokenExchangePolicy {
  /** Audiences a subject (or actor) token may carry for this client to present it: its own resource. */
  subjectAudiences: readonly string[];
  /** Audiences of the resource servers it may ask tokens for. */
  targets: readonly string[];
  /** The most scope an exchanged token may carry; `undefined`: no limit beyond subject and target. */
  maxScope?: readonly string[];
  /** Whether it may present an `actor_token`. */
  allowActorToken: boolean;
  /** How many actors the issued token's `act` chain may hold, the client itself included. */
  maxActDepth: number;
}

export const DEFAULT_MAX_ACT_DEPTH = 1;
