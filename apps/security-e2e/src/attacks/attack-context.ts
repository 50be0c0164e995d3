import type { TokenSet } from '@baton/dto';
import { AttackerServer } from '../support/attacker-server';
import { SecuritySystem } from '../support/security-system';
import { AttackerKey } from './forge';

/** A string that, should it ever be echoed unescaped, shows up in a header or starts a log line. */
export const INJECTION_MARK = 'BATON-INJECTED';
export const HEADER_INJECTION = `x\r\nX-Injected: ${INJECTION_MARK}`;
export const TERMINAL_INJECTION = `\u001b[2J\u001b[31m${INJECTION_MARK}`;

/** What an attack may use to build its request: the system, real tokens, the attacker's tools. */
export interface AttackContext {
  readonly system: SecuritySystem;
  /** The `aud` of the party under attack (a resource server, or user-service for the exchange). */
  readonly audience: string;
  /** Another audience of the same system (the token meant for someone else). */
  readonly otherAudience: string;
  readonly attackerKey: AttackerKey;
  /** Serves the attacker's JWKS and counts hits: it must stay at 0. */
  readonly attackerServer: AttackerServer;
  /** alice's real tokens from a real login (access token for user-service, ID and refresh tokens). */
  readonly alice: TokenSet;
  /** alice's access token exchanged for message-service, as user-service would. */
  readonly aliceExchanged: string;
  /** user-service's own client_credentials token (aud user-service). */
  readonly serviceToken: string;
}
