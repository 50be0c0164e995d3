import { IncomingHttpHeaders } from 'node:http';

/** RFC 9449 §8.1: `nonce = 1*NQCHAR`, printable ASCII without space, `"` and `\`. */
const NONCE_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]{1,512}$/;
/** Origins remembered at most: the token endpoint and the configured downstreams, with room. */
const MAX_ORIGINS = 256;

/**
 * The last `DPoP-Nonce` each server gave (RFC 9449 §8), by origin: the next proof to that origin
 * carries it. A server sends one when it refuses a proof (`use_dpop_nonce`) and may send a new
 * one on any answer, success included; the latest wins.
 */
export class DpopNonces {
  private readonly byOrigin = new Map<string, string>();

  /** The nonce to put in a proof for `url`, if its server gave one. */
  get(url: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin);
  }

  /** Keeps the `DPoP-Nonce` of an answer from `url`; returns whether there was a valid one. */
  remember(url: string, headers: IncomingHttpHeaders | Readonly<Record<string, unknown>>): boolean {
    const value: unknown = headers['dpop-nonce'];
    if (typeof value !== 'string' || !NONCE_PATTERN.test(value)) return false;
    const origin = new URL(url).origin;
    if (!this.byOrigin.has(origin) && this.byOrigin.size >= MAX_ORIGINS) {
      const oldest = this.byOrigin.keys().next().value;
      if (oldest !== undefined) this.byOrigin.delete(oldest);
    }
    this.byOrigin.set(origin, value);
    return true;
  }
}
