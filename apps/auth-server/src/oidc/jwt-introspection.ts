import { decodeJwt } from 'jose';
import type { Provider } from 'oidc-provider';
import { AccessTokenVerifier, PublicJwksSource, VerificationKeys } from '@baton/oidc-provider-token-exchange';
import { GRANT_REFERENCE_CLAIM, GrantReferences } from './grant-references';

/** What introspection answers for a token that is not active, or that the caller may not see (RFC 7662 §2.2). */
export const INACTIVE = Object.freeze({ active: false });

/** Who may see which tokens at introspection, from the declarative file. */
export interface IntrospectionRights {
  /** Audiences whose tokens `clientId` may introspect besides the tokens issued to it. */
  audiencesFor(clientId: string): readonly string[];
}

/**
 * RFC 7662 for the JWT access tokens this server issues, which oidc-provider refuses to
 * introspect (it only knows its opaque tokens). A token is active when it is one of ours (our
 * signature, `typ: at+jwt`, our `iss`), within its lifetime, and its user's grant (if it has one)
 * was not revoked. Its claims are shown only to the client it was issued to and to the resource
 * servers it is meant for (`introspection.audiences`); anyone else learns `active: false`, exactly
 * what a revoked, expired, foreign or garbage token answers, so introspection tells a stranger
 * nothing (issue 11, H08).
 */
export class JwtIntrospection {
  private readonly verifier: AccessTokenVerifier;

  constructor(
    issuer: string,
    publicJwks: PublicJwksSource,
    private readonly rights: IntrospectionRights,
  ) {
    this.verifier = new AccessTokenVerifier({ issuer, keys: new VerificationKeys(publicJwks) });
  }

  async introspect(provider: Provider, callerId: string, token: string): Promise<Record<string, unknown>> {
    let verified;
    try {
      verified = this.verifier.verify(token, 'token');
    } catch {
      return { ...INACTIVE };
    }
    if (!this.mayIntrospect(callerId, verified.clientId, verified.aud)) return { ...INACTIVE };
    const claims = decodeJwt(token);
    const reference = verified.claims[GRANT_REFERENCE_CLAIM];
    if (reference !== undefined && (typeof reference !== 'string' || !(await GrantReferences.of(provider).isLive(provider, reference)))) {
      return { ...INACTIVE };
    }
    const cnf = verified.cnf as { jkt?: unknown } | undefined;
    const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
    return {
      active: true,
      sub: verified.sub,
      aud: claims.aud,
      ...(verified.scopes.length === 0 ? {} : { scope: verified.scopes.join(' ') }),
      ...(verified.clientId === undefined ? {} : { client_id: verified.clientId }),
      exp: verified.exp,
      ...(verified.iat === undefined ? {} : { iat: verified.iat }),
      iss: verified.iss,
      ...(verified.act === undefined ? {} : { act: verified.act }),
      // RFC 9449 §6.2: a DPoP-bound token says so, with the key it is bound to.
      ...(jkt === undefined ? { token_type: 'Bearer' } : { cnf: { jkt }, token_type: 'DPoP' }),
    };
  }

  /** The token's own client, or a resource server it is meant for. */
  mayIntrospect(callerId: string, tokenClientId: string | undefined, audiences: readonly string[]): boolean {
    if (tokenClientId !== undefined && tokenClientId === callerId) return true;
    const allowed = this.rights.audiencesFor(callerId);
    return audiences.some((audience) => allowed.includes(audience));
  }
}
