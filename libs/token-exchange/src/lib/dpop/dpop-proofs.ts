import { IncomingHttpHeaders } from 'node:http';
import { DpopKey, DpopProofTarget } from './dpop-key';
import { DpopNonces } from './dpop-nonces';

/**
 * This module's DPoP side: its key and the nonces servers gave, shared by the token endpoint
 * client and every downstream client.
 */
export class DpopProofs {
  private readonly nonces = new DpopNonces();

  constructor(readonly key: DpopKey) {}

  /** The RFC 7638 thumbprint of the key: what bound tokens carry in `cnf.jkt`. */
  get thumbprint(): string {
    return this.key.thumbprint;
  }

  /** A fresh proof for one request, with the nonce last given by that URL's server. */
  proof(target: Omit<DpopProofTarget, 'nonce'>): string {
    return this.key.proof({ ...target, nonce: this.nonces.get(target.url) });
  }

  /** Keeps a `DPoP-Nonce` the server at `url` sent; returns whether there was one. */
  rememberNonce(url: string, headers: IncomingHttpHeaders | Readonly<Record<string, unknown>>): boolean {
    return this.nonces.remember(url, headers);
  }
}
