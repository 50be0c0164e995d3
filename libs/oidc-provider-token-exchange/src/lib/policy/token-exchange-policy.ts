/**
 * RFC 8693 §1.1: with delegation the issued token says who acts (`act`); with impersonation it
 * does not, and the service is indistinguishable from the subject at the resource server.
 */
export type TokenExchangeMode = 'delegation' | 'impersonation';

/** The modes a policy may name; the first is the default. */
export const TOKEN_EXCHANGE_MODES: readonly TokenExchangeMode[] = ['delegation', 'impersonation'];

/**
 * What one client may do with the token-exchange grant, with defaults applied (`parseExchangePolicy`
 * builds one from raw configuration; a host may also build it in code).
 */
export interface TokenExchangePolicy {
  /** Audiences a subject (or actor) token may carry for this client to present it: its own resource. */
  subjectAudiences: readonly string[];
  /** Audiences of the resource servers it may ask tokens for. */
  targets: readonly string[];
  /**
   * The target of a request that names none (Spring Security's client sends no `audience`), when
   * `targets` holds several; one of `targets`.
   */
  defaultTarget?: string;
  /** The most scope an exchanged token may carry; `undefined`: no limit beyond subject and target. */
  maxScope?: readonly string[];
  /** Whether it may present an `actor_token`. */
  allowActorToken: boolean;
  /** How many actors the issued token's `act` chain may hold, the client itself included. */
  maxActDepth: number;
  /** Whether issued tokens record the client as actor (`act`, the default) or carry none. */
  mode: TokenExchangeMode;
  /**
   * Whether every exchange must carry a valid DPoP proof (RFC 9449), so every token issued to this
   * client is bound to its key (`cnf.jkt`); without one: `invalid_dpop_proof`. Absent: false (a
   * proof, when sent, still binds the token).
   */
  requireDpop?: boolean;
}

/** Actors an `act` chain may hold when a policy says nothing: the requesting client alone. */
export const DEFAULT_MAX_ACT_DEPTH = 1;
