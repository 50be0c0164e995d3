import { ActClaim } from '@baton/dto';

/** Claims of an RFC 9068 access token as issued by the Baton auth server. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly client_id: string;
  readonly scope?: string;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
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
  readonly claims: AccessTokenClaims;
}
