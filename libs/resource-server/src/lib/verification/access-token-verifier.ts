import { Inject, Injectable } from '@nestjs/common';
import { isActClaim } from '../claims/act-claim';
import { TokenProblem } from '../errors/bearer-problems';
import { BearerChallenge, ResourceServerError } from '../errors/resource-server.error';
import { JwksKeyStore, VerificationKey } from '../jwks/jwks-key-store';
import { VerifiedClaims } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { CompactAccessToken, decodeBase64urlSegment, decodeJsonObject, parseCompactAccessToken } from '../token/compact-access-token';
import { isWeakRsaKey, verifyJwsSignature } from './jws-signature';
import { VerifiedTokenCache } from './verified-token-cache';

// Non-ASCII in a segment: jose refuses the token as malformed before it checks the signature.
const NON_ASCII = /\P{ASCII}/u;

/**
 * Verifies an access token (RFC 9068): the protected header first (`alg` allowed, `typ` at+jwt, no
 * `crit`) so that nothing else makes us fetch keys; then the signature with a key from the
 * issuer's JWKS; then the claims as jose's `jwtVerify` checks them (exact `iss`, our `aud`, `exp`
 * and `sub` required, `nbf`, the clock tolerance); then what jose leaves to us: an `iat` in the
 * future, a non-empty `sub`, `client_id`, `scope` and `act`.
 *
 * The signature is checked with node:crypto on `KeyObject`s imported once per key: synchronous,
 * and well under the CPU of jose's WebCrypto path (measured: bench/resource-server). The checks are
 * jose's own, in jose's order, and `access-token-verifier.differential.spec.ts` holds every verdict
 * to jose's `jwtVerify` on random valid, tampered and forged tokens.
 *
 * A token accepted before with the same key skips the signature check (`VerifiedTokenCache`, sized by
 * `verifiedTokenCacheSize`); its header and claims are checked again, as for any token.
 *
 * Every refusal is a ResourceServerError with its complete headers and a fixed description, never
 * built from what the token says.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly accepted: VerifiedTokenCache | undefined;

  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
    private readonly keyStore: JwksKeyStore,
  ) {
    this.accepted = options.verifiedTokenCacheSize > 0 ? new VerifiedTokenCache(options.verifiedTokenCacheSize) : undefined;
  }

  /** `challenge`: what refusals answer with (default the service's Bearer challenge; DPoP for a DPoP request). */
  async verify(token: string, challenge: BearerChallenge = this.options): Promise<VerifiedClaims> {
    const parsed = parseCompactAccessToken(token, this.options.algorithms, challenge);
    // Fresh cached keys answer at once; a refetch (unknown kid, stale keys) waits for the issuer.
    const key = this.keyStore.freshKey(parsed.kid, parsed.alg) ?? (await this.keyStore.getKey(parsed.kid, parsed.alg, challenge));
    if (this.accepted === undefined) return this.checkClaims(this.verifiedPayload(parsed, key, challenge), challenge);
    const digest = VerifiedTokenCache.digestOf(token);
    const known = this.accepted.get(digest, key);
    if (known !== undefined) return this.checkClaims(known, challenge);
    const claims = this.checkClaims(this.verifiedPayload(parsed, key, challenge), challenge);
    this.accepted.remember(digest, key, claims);
    return claims;
  }

  /** The claims set once the signature is valid (jose's `verifyCompact` and payload parsing). */
  private verifiedPayload(token: CompactAccessToken, key: VerificationKey, challenge: BearerChallenge): Record<string, unknown> {
    const refuse = (problem: TokenProblem) => ResourceServerError.invalidToken(problem, challenge);
    if (NON_ASCII.test(token.encodedPayload)) throw refuse('malformed');
    const signature = decodeBase64urlSegment(token.encodedSignature);
    if (signature === undefined) throw refuse('malformed');
    // jose refuses RSA keys under 2048 bits when it verifies, with a TypeError: "invalid".
    if (isWeakRsaKey(key)) throw refuse('invalid');
    if (!verifyJwsSignature(token.alg, key, token.signingInput, signature)) throw refuse('signature');
    const claims = decodeJsonObject(token.encodedPayload);
    if (claims === undefined) throw refuse('malformed');
    return claims;
  }

  private checkClaims(claims: Record<string, unknown> | VerifiedClaims, challenge: BearerChallenge): VerifiedClaims {
    const options = this.options;
    const refuse = (problem: TokenProblem) => ResourceServerError.invalidToken(problem, challenge);
    // jose's validateClaimsSet, in its order: presence (iss, aud, sub, exp), iss, aud, then the dates.
    if (!Object.hasOwn(claims, 'iss')) throw refuse('issuer');
    if (!Object.hasOwn(claims, 'aud')) throw refuse('audience');
    if (!Object.hasOwn(claims, 'sub')) throw refuse('missingSubject');
    if (!Object.hasOwn(claims, 'exp')) throw refuse('missingExpiry');
    if (claims['iss'] !== options.issuer) throw refuse('issuer');
    if (!hasAudience(claims['aud'], options.audience)) throw refuse('audience');
    const now = Math.floor(Date.now() / 1000);
    const tolerance = options.clockToleranceSeconds;
    const { iat, nbf, exp } = claims;
    if (iat !== undefined && typeof iat !== 'number') throw refuse('claims');
    if (nbf !== undefined && typeof nbf !== 'number') throw refuse('claims');
    if (typeof nbf === 'number' && nbf > now + tolerance) throw refuse('notYetValid');
    if (typeof exp !== 'number') throw refuse('claims');
    if (exp <= now - tolerance) throw refuse('expired');

    // Beyond jose. It checks `iat` only against a maximum age; a token "issued" a year ahead (a
    // stolen signing key, or an issuer whose clock ran away) is refused beyond the tolerance. Wall
    // time on purpose: `iat` is a wall-clock claim.
    if (typeof iat === 'number' && iat > Date.now() / 1000 + tolerance) throw refuse('notYetValid');
    if (typeof claims['sub'] !== 'string' || claims['sub'] === '') throw refuse('missingSubject');
    const clientId = claims['client_id'];
    const scope = claims['scope'] ?? '';
    const act = claims['act'];
    if (typeof clientId !== 'string' || clientId === '' || typeof scope !== 'string') throw refuse('claims');
    if (act !== undefined && !isActClaim(act)) throw refuse('claims');
    if (typeof claims['iss'] !== 'string' || claims['aud'] === undefined) throw refuse('claims');
    return claims as unknown as VerifiedClaims;
  }
}

/** jose's audience check: the `aud` string, or one member of the `aud` array, is ours. */
function hasAudience(aud: unknown, ours: string): boolean {
  return typeof aud === 'string' ? aud === ours : Array.isArray(aud) && aud.includes(ours);
}
