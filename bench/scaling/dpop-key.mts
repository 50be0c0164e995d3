import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/**
 * An ES256 DPoP key and its proofs (RFC 9449 §4.2), made with node:crypto: the scaling suite and
 * the peers suite's memory phase run the exchange and message-service calls as deployed
 * (user-service's client must send a proof; message-service wants exchanged tokens bound).
 * Only the public key goes in a proof.
 */
export class DpopProofKey {
  private readonly privateKey: KeyObject;
  private readonly header: string;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
    this.header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })).toString('base64url');
  }

  /** A fresh proof for `method` `url` (no query); with `accessToken`, its hash (`ath`) for a resource call. */
  proof(method: string, url: string, accessToken?: string): string {
    const claims = {
      jti: randomUUID(),
      htm: method,
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ...(accessToken === undefined ? {} : { ath: createHash('sha256').update(accessToken).digest('base64url') }),
    };
    const input = `${this.header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }
}
