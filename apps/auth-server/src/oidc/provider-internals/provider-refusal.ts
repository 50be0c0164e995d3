/**
 * oidc-provider refusals that RFC 6749 §5.2 names differently and that oidc-provider tells apart
 * only by their text: both are `invalid_request` with a fixed `error_description`.
 *
 * Seam, checked against oidc-provider 9.13.3: the descriptions are the literal strings of
 * lib/actions/token.js (`allowedGrantTypeCheck`) and lib/shared/client_auth.js. Not covered by
 * semver; provider-refusal.spec.ts fails if an upgrade rewords them.
 */
const DESCRIPTIONS = {
  /** A client asked for a grant type it is not registered for (RFC 6749: `unauthorized_client`). */
  grant_not_allowed: 'requested grant type is not allowed for this client',
  /** A request named no client at all (RFC 6749: `invalid_client`). */
  no_client_authentication: 'no client authentication mechanism provided',
} as const;

export type ProviderRefusal = keyof typeof DESCRIPTIONS;

/** An oidc-provider error as its events hand it over, or the JSON body it answered with. */
export interface ProviderErrorLike {
  readonly error?: unknown;
  readonly error_description?: unknown;
}

/** Which of the refusals above `error` is, or `undefined` for any other error (or none). */
export function providerRefusal(error: ProviderErrorLike | null | undefined): ProviderRefusal | undefined {
  if (error?.error !== 'invalid_request') return undefined;
  for (const refusal of Object.keys(DESCRIPTIONS) as ProviderRefusal[]) {
    if (error.error_description === DESCRIPTIONS[refusal]) return refusal;
  }
  return undefined;
}
