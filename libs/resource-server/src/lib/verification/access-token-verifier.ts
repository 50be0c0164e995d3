import { Inject, Injectable } from '@nestjs/common';
import { jwtVerify, JWTPayload } from 'jose';
import { isActClaim } from '../claims/act-claim';
import { TokenProblem } from '../errors/bearer-problems';
import { ResourceServerError } from '../errors/resource-server.error';
import { JwksKeyStore } from '../jwks/jwks-key-store';
import { VerifiedClaims } from '../principal';
import { ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { readAccessTokenHeader } from '../token/token-header';

/**
 * Verifies an access token (RFC 9068) on jose: the protected header first (`alg` allowed, `typ`
 * at+jwt, no `crit`) so that nothing else makes us fetch keys; then `jwtVerify` with a key from the
 * issuer's JWKS, the exact `iss`, our `aud`, `exp` required and the clock tolerance; then what
 * jose leaves to us: an `iat` in the future, a non-empty `sub`, `client_id`, `scope` and `act`.
 *
 * Every refusal is a ResourceServerError with its complete headers. jose's errors are classified
 * by their `code` (and `claim`), never by their message, and never quoted: messages may echo what
 * the token says.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions,
    private readonly keyStore: JwksKeyStore,
  ) {}

  async verify(token: string): Promise<VerifiedClaims> {
    const options = this.options;
    readAccessTokenHeader(token, options.algorithms, options);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.keyStore.getKey(header.kid, header.alg), {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [...options.algorithms],
        typ: 'at+jwt',
        clockTolerance: options.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof ResourceServerError) throw error;
      throw ResourceServerError.invalidToken(problemOf(error), options);
    }
    return this.checkClaims(payload);
  }

  private checkClaims(claims: JWTPayload): VerifiedClaims {
    const refuse = (problem: TokenProblem) => ResourceServerError.invalidToken(problem, this.options);
    // jose checks `iat` only against a maximum age; a token "issued" a year ahead (a stolen
    // signing key, or an issuer whose clock ran away) is refused beyond the tolerance. Wall time on
    // purpose: `iat` is a wall-clock claim.
    if (typeof claims.iat === 'number' && claims.iat > Date.now() / 1000 + this.options.clockToleranceSeconds) {
      throw refuse('notYetValid');
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') throw refuse('missingSubject');
    const clientId = claims['client_id'];
    const scope = claims['scope'] ?? '';
    const act = claims['act'];
    if (typeof clientId !== 'string' || clientId === '' || typeof scope !== 'string') throw refuse('claims');
    if (act !== undefined && !isActClaim(act)) throw refuse('claims');
    if (typeof claims.iss !== 'string' || typeof claims.exp !== 'number' || claims.aud === undefined) throw refuse('claims');
    return claims as VerifiedClaims;
  }
}

/** jose's error → the fixed description the client gets. */
function problemOf(error: unknown): TokenProblem {
  if (typeof error !== 'object' || error === null) return 'invalid';
  const { code, claim, reason } = error as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claimProblem(claim, reason);
    default:
      return 'invalid';
  }
}

function claimProblem(claim: unknown, reason: unknown): TokenProblem {
  if (claim === 'exp') return reason === 'missing' ? 'missingExpiry' : 'claims';
  if (claim === 'sub') return 'missingSubject';
  if (claim === 'iss') return 'issuer';
  if (claim === 'aud') return 'audience';
  if (claim === 'typ') return 'type';
  if (claim === 'nbf' || claim === 'iat') return reason === 'check_failed' ? 'notYetValid' : 'claims';
  return 'claims';
}
