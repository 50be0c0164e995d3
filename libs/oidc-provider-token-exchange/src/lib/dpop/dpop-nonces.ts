import { hkdfSync, timingSafeEqual } from 'node:crypto';

/** Seconds a nonce step lasts: oidc-provider's. */
const STEP_SECONDS = 60;

/**
 * Server-issued DPoP nonces (RFC 9449 §8), stateless so that replicas sharing the secret agree:
 * a nonce is HKDF-SHA256(secret, the 60-second step as 8 big-endian bytes, "DPoP"), base64url.
 * This is exactly oidc-provider's own scheme (lib/helpers/challenge.js, info "DPoP"): given the
 * Provider's `features.dPoP.nonceSecret`, a nonce the provider hands out on a built-in grant is
 * accepted by the exchange and the other way round. Like oidc-provider, the next step's value is
 * issued and steps from two before to two after the current one are accepted (up to about five
 * minutes), which absorbs clock differences between replicas.
 */
export class DpopNonces {
  private readonly secret: Buffer;
  private readonly now: () => number;
  private step: number | undefined;
  private values: readonly string[] = [];

  /** `secret`: 32 bytes, the same on every replica (and the same as the Provider's `nonceSecret`). */
  constructor(secret: Uint8Array, now: () => number = () => Math.floor(Date.now() / 1000)) {
    if (secret.byteLength !== 32) throw new TypeError('the DPoP nonce secret must be 32 bytes');
    this.secret = Buffer.from(secret);
    this.now = now;
  }

  /** The nonce to hand out now (`DPoP-Nonce`). */
  next(): string {
    return this.window()[3] as string;
  }

  /** Whether `nonce` is one this server (or a replica sharing the secret) handed out recently. */
  accepts(nonce: string): boolean {
    const given = Buffer.from(nonce);
    let matched = false;
    for (const value of this.window()) {
      const expected = Buffer.from(value);
      // Compare every value in constant time: no early exit telling which step matched.
      if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
    }
    return matched;
  }

  private window(): readonly string[] {
    const step = Math.floor(this.now() / STEP_SECONDS);
    if (step !== this.step) {
      this.step = step;
      this.values = [step - 2, step - 1, step, step + 1, step + 2].map((value) => this.compute(value));
    }
    return this.values;
  }

  private compute(step: number): string {
    const salt = Buffer.alloc(8);
    salt.writeBigUInt64BE(BigInt(step));
    return Buffer.from(hkdfSync('sha256', this.secret, salt, 'DPoP', 32)).toString('base64url');
  }
}
