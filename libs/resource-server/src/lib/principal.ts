import { AccessTokenClaims, ActClaim } from '@baton/dto';

/**
 * The claims of a verified token: those the resource server checked (`iss`, `sub`, `aud`, `exp`,
 * `client_id`) are present; the rest of RFC 9068's and any other claims may be.
 */
export type VerifiedClaims = Readonly<Partial<Omit<AccessTokenClaims, 'aud'>>> &
  Readonly<Pick<AccessTokenClaims, 'iss' | 'sub' | 'exp' | 'client_id'>> & {
    readonly aud: string | string[];
    readonly [claim: string]: unknown;
  };

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
