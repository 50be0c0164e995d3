import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Server nonces for DPoP proofs (RFC 9449 §9): what the service hands out in `DPoP-Nonce` and
 * accepts in a proof's `nonce`. Implement it to keep nonces elsewhere.
 */
export interface DpopNonces {
  /** The nonce a client should use now (base64url characters only: it goes in a header). */
  current(): string;
  /** Whether a proof's `nonce` is one this service gave and is still fresh. */
  isValid(nonce: string): boolean;
}

const STEP_BYTES = 8;
const MAC_BYTES = 16;

/**
 * Stateless nonces: the time step, and an HMAC of it with a secret. Replicas given the same secret
 * accept each other's nonces with no shared state. A nonce is accepted during its step and the
 * next, so it lives between `lifetimeSeconds` and twice that. Without a secret each process draws
 * its own (then replicas do not accept each other's nonces).
 */
export class HmacDpopNonces implements DpopNonces {
  private readonly secret: Buffer;

  constructor(
    secret: string | Uint8Array | undefined,
    private readonly lifetimeSeconds = 300,
    private readonly now: () => number = Date.now,
  ) {
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret);
  }

  current(): string {
    return this.make(this.step());
  }

  isValid(nonce: string): boolean {
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== STEP_BYTES + MAC_BYTES || bytes.toString('base64url') !== nonce) return false;
    const step = bytes.readBigUInt64BE(0);
    const current = BigInt(this.step());
    if (step !== current && step !== current - 1n) return false;
    return timingSafeEqual(bytes.subarray(STEP_BYTES), this.mac(bytes.subarray(0, STEP_BYTES)));
  }

  private step(): number {
    return Math.floor(this.now() / 1000 / this.lifetimeSeconds);
  }

  private make(step: number): string {
    const stepBytes = Buffer.alloc(STEP_BYTES);
    stepBytes.writeBigUInt64BE(BigInt(step));
    return Buffer.concat([stepBytes, this.mac(stepBytes)]).toString('base64url');
  }

  private mac(stepBytes: Buffer): Buffer {
    return createHmac('sha256', this.secret).update('dpop-nonce.').update(stepBytes).digest().subarray(0, MAC_BYTES);
  }
}
