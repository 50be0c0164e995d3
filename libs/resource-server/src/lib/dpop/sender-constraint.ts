import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { BearerChallenge, ResourceServerError } from '../errors/resource-server.error';
import { VerifiedClaims } from '../principal';
import { ResolvedDpopOptions, ResolvedResourceServerOptions } from '../resource-server-options';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from '../resource-server.module-definition';
import { AccessTokenCredentials, ResourceServerRequest } from '../token/bearer-token';
import { checkDpopProof, DpopProofRefusal, normalisedTargetUri, ProofKeyCache } from './dpop-proof';
import { DpopReplayStoreFullError } from './dpop-replay-store';

/**
 * Whether a verified token may be used the way it was sent (RFC 9449 §7): a token bound to a key
 * (`cnf.jkt`) only with the DPoP scheme and a valid proof from that key; a token the service wants
 * bound (`dpop.required`) only when it is; a DPoP-scheme token only when it is bound. A Bearer
 * token without `cnf` at a service that does not require DPoP costs two property reads.
 */
@Injectable()
export class SenderConstraint {
  private readonly dpop: ResolvedDpopOptions | undefined;
  private readonly keys = new ProofKeyCache();
  /** Challenges in the DPoP scheme, for refusals of a request that must use it. */
  readonly dpopChallenge: BearerChallenge;

  constructor(@Inject(RESOLVED_RESOURCE_SERVER_OPTIONS) private readonly options: ResolvedResourceServerOptions) {
    this.dpop = options.dpop;
    this.dpopChallenge = { ...challengeOf(options), scheme: 'DPoP' };
  }

  /** The challenge for refusals of a request sent with `scheme` (token errors answer in its scheme). */
  challengeFor(scheme: AccessTokenCredentials['scheme']): BearerChallenge {
    return scheme === 'DPoP' ? this.dpopChallenge : this.options;
  }

  /** Throws the RFC 9449 §7.1 refusal, or returns when the token may be used as it was sent. */
  async check(request: ResourceServerRequest, credentials: AccessTokenCredentials, claims: VerifiedClaims): Promise<void> {
    const jkt = boundThumbprint(claims);
    const dpop = this.dpop;
    if (credentials.scheme === 'Bearer') {
      if (jkt === undefined && (dpop === undefined || !dpop.required(claims))) return;
      // §7.2: a bound token as Bearer would launder it into a bearer token; a token that must be bound is not.
      const challenge = dpop === undefined ? this.options : this.dpopChallenge;
      throw ResourceServerError.invalidToken(jkt === undefined ? 'dpopRequired' : 'boundTokenAsBearer', challenge);
    }
    // `Authorization: DPoP` is only parsed when `dpop` is configured.
    if (dpop === undefined) throw ResourceServerError.invalidToken('invalid', this.options);
    if (jkt === undefined) throw ResourceServerError.invalidToken('notBound', this.dpopChallenge);
    await this.checkProof(request, credentials.token, jkt, dpop);
  }

  private async checkProof(request: ResourceServerRequest, token: string, jkt: string, dpop: ResolvedDpopOptions): Promise<void> {
    const refuse = (problem: DpopProofRefusal['problem']) => ResourceServerError.invalidDpopProof(problem, this.dpopChallenge);
    const header = request.headers['dpop'];
    if (header === undefined || header === '') throw refuse('missing');
    // Node joins repeated unknown headers with ", "; a compact JWS has no comma.
    if (typeof header !== 'string' || header.includes(',')) throw refuse('multiple');
    const now = dpop.clock();
    let proof;
    try {
      proof = checkDpopProof(
        header,
        {
          method: request.method ?? '',
          url: this.requestUrl(request),
          accessToken: token,
          nowSeconds: now / 1000,
          iatWindowSeconds: dpop.iatWindowSeconds,
        },
        dpop.algorithms,
        this.keys,
      );
    } catch (error) {
      if (error instanceof DpopProofRefusal) throw refuse(error.problem);
      throw error;
    }
    if (dpop.nonces !== undefined && (proof.nonce === undefined || !dpop.nonces.isValid(proof.nonce))) {
      throw ResourceServerError.useDpopNonce(dpop.nonces.current(), this.dpopChallenge);
    }
    if (proof.thumbprint !== jkt) throw refuse('keyMismatch');
    // Last, so that only proofs good in every other way are remembered.
    const replayKey = createHash('sha256').update(`${proof.thumbprint}.${proof.jti}`).digest('base64url');
    let first: boolean;
    try {
      first = await dpop.replayStore.claim(replayKey, (proof.iat + dpop.iatWindowSeconds + 1) * 1000);
    } catch (error) {
      if (error instanceof DpopReplayStoreFullError) {
        throw ResourceServerError.temporarilyUnavailable(dpop.iatWindowSeconds, 'Too many DPoP proofs to remember right now; try again later');
      }
      throw error;
    }
    if (!first) throw refuse('replayed');
  }

  /**
   * The URL the proof must name: the configured public URL and the request's path, never the
   * `Host` header. `normalisedTargetUri` gives it the form the proof's `htu` is compared in.
   */
  private requestUrl(request: ResourceServerRequest): string {
    const target = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '/';
    const path = target.split('?', 1)[0]?.split('#', 1)[0] ?? '/';
    return normalisedTargetUri(`${this.dpop?.publicUrl ?? ''}${path.startsWith('/') ? path : `/${path}`}`) ?? '';
  }
}

/** `cnf.jkt` of a token (RFC 9449 §6.1), or `undefined` when it is not bound. */
function boundThumbprint(claims: VerifiedClaims): string | undefined {
  const cnf = claims['cnf'];
  if (cnf === undefined) return undefined;
  const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['jkt'] : undefined;
  // A `cnf` we cannot honour (another confirmation method, a malformed jkt) is never ignored.
  return typeof jkt === 'string' && jkt !== '' ? jkt : '\u0000unusable-cnf';
}

function challengeOf(options: ResolvedResourceServerOptions): BearerChallenge {
  return {
    realm: options.realm,
    resourceMetadataUrl: options.resourceMetadataUrl,
    dpopAlgorithms: options.dpopAlgorithms,
    dpopAlways: options.dpopAlways,
  };
}
