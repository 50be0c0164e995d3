import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/**
 * A client's DPoP key (RFC 9449) for the load generator: ES256, the proofs signed with node:crypto
 * (the bench runs .mts files as they are, without the workspace's path aliases, so it does not
 * import @baton/token-exchange; the wire format is the RFC's, which the servers check).
 */
export class BenchDpopKey {
  readonly thumbprint: string;
  private readonly headerSegment: string;
  private readonly privateKey: KeyObject;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const { x, y } = publicKey.export({ format: 'jwk' });
    const jwk = { kty: 'EC', crv: 'P-256', x, y };
    // RFC 7638: the required members in lexicographic order.
    this.thumbprint = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y })).digest('base64url');
    this.headerSegment = base64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk }));
  }

  /** A fresh proof for one request: `htu` without query, `ath` when a token goes with it. */
  proof(method: string, url: string, accessToken?: string): string {
    const parsed = new URL(url);
    const claims: Record<string, string | number> = {
      jti: randomUUID(),
      htm: method,
      htu: `${parsed.protocol}//${parsed.host}${parsed.pathname}`,
      iat: Math.floor(Date.now() / 1000),
    };
    if (accessToken !== undefined) claims['ath'] = createHash('sha256').update(accessToken).digest('base64url');
    const input = `${this.headerSegment}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
