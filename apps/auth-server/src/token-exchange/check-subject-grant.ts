import type { KoaContextWithOIDC } from 'oidc-provider';
import { GrantReferences } from '../oidc/grant-references';
import { TokenExchangeError } from './token-exchange.error';
import type { VerifiedAccessToken } from './verified-access-token';

/**
 * A user's access token is only exchanged while the authorization grant it was issued under
 * lives (issue 11, H06): after a code replay, the revocation of the refresh token (RFC 7009) or
 * sign-out, oidc-provider deletes the grant, and the exchange refuses the token rather than let it
 * act for up to its remaining lifetime. Tokens without a grant reference are a client's own
 * (client_credentials, and exchanges of those): no user grant exists to revoke.
 * Takes the verified subject token, whose claims the verifier has already parsed.
 */
export async function checkSubjectGrant(ctx: KoaContextWithOIDC, subject: VerifiedAccessToken): Promise<void> {
  const reference = subject.grantReference;
  if (reference === undefined) return;
  const provider = ctx.oidc.provider;
  if (typeof reference !== 'string' || !(await GrantReferences.of(provider).isLive(provider, reference))) {
    throw TokenExchangeError.invalidRequest("the subject token's grant was revoked");
  }
  GrantReferences.carry(ctx, reference);
}
