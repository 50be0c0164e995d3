import type { KoaContextWithOIDC } from 'oidc-provider';
import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';
import { DpopNonces } from './dpop-nonces';
import { DEFAULT_DPOP_ALGORITHMS, DEFAULT_DPOP_IAT_WINDOW, DpopProofError, verifyDpopProof, VerifiedDpopProof } from './dpop-proof';

/**
 * Records a proof's `jti` for one client until `expiresAt` (seconds since the epoch); resolves
 * `false` when it was already recorded (a replay). Must be shared by every replica.
 */
export type DpopReplayCheck = (ctx: KoaContextWithOIDC, clientId: string, jti: string, expiresAt: number) => Promise<boolean>;

/** DPoP (RFC 9449) at the token endpoint; every member is optional. */
export interface DpopOptions {
  /** Proof algorithms accepted; advertise the same in the Provider's `enabledJWA.dPoPSigningAlgValues`. Default `DEFAULT_DPOP_ALGORITHMS`. */
  algorithms?: readonly string[];
  /** Seconds a proof's `iat` may be off the server's clock, either way. Default 60. */
  iatWindow?: number;
  /**
   * 32 bytes that make server nonces (RFC 9449 §8); the same on every replica. Give the Provider's
   * `features.dPoP.nonceSecret`: nonces are then the provider's own, valid on every grant.
   * Without it no nonce is issued, and a proof carrying one is refused.
   */
  nonceSecret?: Uint8Array;
  /** Whether a proof must carry a fresh server nonce (`use_dpop_nonce` otherwise). Needs `nonceSecret`. Default false. */
  requireNonce?: boolean | ((ctx: KoaContextWithOIDC) => boolean);
  /**
   * The token endpoint's URL as clients know it, which a proof's `htu` must name. Default:
   * `provider.urlFor('token')`, built from the issuer (never from the request's Host header).
   * A list when services inside the network call it by other names than the issuer's (e.g.
   * `http://auth-server:9001/oauth2/token` behind a proxy): a proof naming any of them passes.
   */
  tokenEndpointUrl?: string | readonly string[];
  /** Replay records; default oidc-provider's `ReplayDetection.unique` (the adapter's storage, shared). */
  replay?: DpopReplayCheck;
}

const defaultReplay: DpopReplayCheck = (ctx, clientId, jti, expiresAt) =>
  ctx.oidc.provider.ReplayDetection.unique(clientId, jti, expiresAt);

/**
 * The `DPoP` header of a token endpoint request, checked as oidc-provider checks it for its own
 * grants (which custom grants do not get): `validate` runs the RFC 9449 §4.3 checks and answers
 * `invalid_dpop_proof` or `use_dpop_nonce` (with `DPoP-Nonce`); `consume` records the `jti` so the
 * proof cannot be used again, at this replica or another. A host may use it in its own grants too.
 */
export class TokenEndpointDpop {
  readonly algorithms: readonly string[];
  private readonly iatWindow: number;
  private readonly nonces: DpopNonces | undefined;
  private readonly requireNonce: (ctx: KoaContextWithOIDC) => boolean;
  private readonly replay: DpopReplayCheck;

  constructor(
    private readonly options: DpopOptions = {},
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.algorithms = options.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
    this.iatWindow = options.iatWindow ?? DEFAULT_DPOP_IAT_WINDOW;
    this.nonces = options.nonceSecret === undefined ? undefined : new DpopNonces(options.nonceSecret, now);
    const requireNonce = options.requireNonce ?? false;
    if (requireNonce !== false && this.nonces === undefined) throw new TypeError('dpop.requireNonce needs dpop.nonceSecret');
    this.requireNonce = typeof requireNonce === 'function' ? requireNonce : () => requireNonce;
    this.replay = options.replay ?? defaultReplay;
  }

  /** The verified proof of the request, or `undefined` when it carries none. */
  validate(ctx: KoaContextWithOIDC): VerifiedDpopProof | undefined {
    const proof = ctx.get('DPoP');
    if (proof === '') return undefined;
    try {
      const verified = verifyDpopProof(proof, {
        method: ctx.method,
        url: this.options.tokenEndpointUrl ?? ctx.oidc.provider.urlFor('token'),
        now: this.now(),
        iatWindow: this.iatWindow,
        algorithms: this.algorithms,
        ...(this.nonces === undefined ? {} : { nonces: this.nonces }),
        requireNonce: this.requireNonce(ctx),
      });
      // A fresh nonce with every answer to a proof (RFC 9449 §8.2), so the next proof can carry it.
      this.sendNonce(ctx);
      return verified;
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      if (error.error === 'use_dpop_nonce') {
        this.sendNonce(ctx);
        throw TokenExchangeRefusal.useDpopNonce(error.message);
      }
      throw TokenExchangeRefusal.invalidDpopProof(error.message);
    }
  }

  /**
   * Records the proof's `jti` for this client, long enough to outlast every `iat` the window
   * accepts; a `jti` seen before is refused (`invalid_dpop_proof`). Call it right before issuing.
   */
  async consume(ctx: KoaContextWithOIDC, clientId: string, proof: VerifiedDpopProof): Promise<void> {
    const expiresAt = Math.max(this.now(), proof.iat) + this.iatWindow + 1;
    if (!(await this.replay(ctx, clientId, proof.jti, expiresAt))) {
      throw TokenExchangeRefusal.invalidDpopProof('DPoP proof JWT replay detected');
    }
  }

  private sendNonce(ctx: KoaContextWithOIDC): void {
    if (this.nonces !== undefined) ctx.set('DPoP-Nonce', this.nonces.next());
  }
}
