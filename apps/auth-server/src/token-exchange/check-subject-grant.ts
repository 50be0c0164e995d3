import { TokenExchangeRefusal, VerifiedAccessToken } from '@baton/oidc-provider-token-exchange';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { GRANT_REFERENCE_CLAIM, GrantReferences } from '../oidc/grant-references';

/**
 * The grant's `checkSubject` hook in this server: a user's access token is only exchanged while
 * the authorization grant it was issued under lives (issue 11, H06). After a code replay, the
 * revocation of the refresh token (RFC 7009) or sign-out, oidc-provider deletes the grant, and the
 * exchange refuses the token rather than let it act for up to its remaining lifetime. Tokens
 * without a grant reference are a client's own (client_credentials, and exchanges of those): no
 * user grant exists to revoke. The reference is carried into the issued token.
 */
export async function checkSubjectGrant(subject: VerifiedAccessToken, ctx: KoaContextWithOIDC): Promise<void> {
  const reference = subject.claims[GRANT_REFERENCE_CLAIM];
  if (reference === undefined) return;
  const provider = ctx.oidc.provider;
  if (typeof reference !== 'string' || !(await GrantReferences.of(provider).isLive(provider, reference))) {
    throw TokenExchangeRefusal.invalidRequest("the subject token's grant was revoked");
  }
  GrantReferences.carry(ctx, reference);
}
