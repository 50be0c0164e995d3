import { ActClaim } from './claims/act-claim';

/**
 * The claims of a verified access token (RFC 9068): those the resource server checked (`iss`,
 * `sub`, `aud`, `exp`, `client_id`) are present; the others may be, with any further claim.
 */
export interface VerifiedClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly client_id: string;
  /** Space-separated granted scopes. */
  readonly scope?: string;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
  /** Present when a service acts for the subject (token exchange, RFC 8693). */
  readonly act?: ActClaim;
  readonly [claim: string]: unknown;
}

/** Who is calling: what `@CurrentPrincipal()` gives a controller once the token is verified. */
export interface Principal {
  /** The subject: the end user, or the client itself for client_credentials tokens. */
  readonly sub: string;
  /** The client the token was issued to (`client_id`). */
  readonly clientId: string;
  /** The granted scopes (the `scope` claim split on spaces). */
  readonly scopes: readonly string[];
  /** The actor chain (RFC 8693 `act`) when a service acts for the subject, else null. */
  readonly act: ActClaim | null;
  /** The raw bearer token, e.g. the subject token of a token exchange. Never log it. */
  readonly token: string;
  /** Every claim of the verified token. */
  readonly claims: VerifiedClaims;
}
