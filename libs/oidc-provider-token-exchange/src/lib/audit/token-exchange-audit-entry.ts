/**
 * One audit line per token exchange, granted or refused. It names tokens by `jti` only: a token
 * itself is never in it.
 */
export interface TokenExchangeAuditEntry {
  event: 'token_exchange';
  /**
   * ISO 8601 time of the decision. Not `time`: loggers such as pino put their own `time` on the
   * line, and a second one would make duplicate JSON keys.
   */
  decidedAt: string;
  result: 'granted' | 'refused';
  /** The OAuth error code of a refusal (`invalid_request`, `invalid_target`, ...). */
  error?: string;
  /** Why it was refused, as told to the client. */
  errorDescription?: string;
  /** The authenticated client, or the client id it claimed when authentication failed. */
  client?: string;
  subjectSub?: string;
  subjectJti?: string;
  /** The subject token's audience the client presented it as (its own resource). */
  fromAudience?: string;
  /** The audience of the token asked for. */
  toAudience?: string;
  scopeRequested?: string;
  scopeGranted?: string;
  /**
   * The client's exchange policy (RFC 8693 §1.1): `delegation` (the issued token says who acts in
   * `act`) or `impersonation` (no `act`; the client is indistinguishable from the subject).
   */
  mode?: 'delegation' | 'impersonation';
  /** The actors of the issued token, outermost (current) first: `["user-service"]`. Absent for impersonation. */
  actChain?: string[];
  actorSub?: string;
  actorJti?: string;
  issuedJti?: string;
  /** RFC 7638 thumbprint of the request's DPoP proof key: the issued token's `cnf.jkt` (a thumbprint, never the proof). */
  dpopJkt?: string;
  /** Seconds the issued token lives. */
  expiresIn?: number;
}

/**
 * Where audit entries go: the host's logger, a SIEM forwarder, a metrics counter. Called once per
 * exchange, synchronously, after the response is decided; `entry.result` says granted or refused
 * (a host usually logs refusals one level higher).
 */
export type TokenExchangeAuditSink = (entry: TokenExchangeAuditEntry) => void;
