import { CompactSign } from 'jose';
import { constants, createHmac, generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';

/** Algorithms `generateSigningKey` makes keys for. */
export type SigningAlgorithm = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';

/** A key pair as an issuer holds it: the private key signs, the public JWK goes in its JWKS. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK as a JWKS publishes it. */
  readonly jwk: Record<string, unknown>;
}

/** A fresh key pair for `alg` (EdDSA: Ed25519), with its public JWK. */
export function generateSigningKey(alg: SigningAlgorithm = 'ES256', kid: string = randomUUID()): SigningKey {
  const { privateKey, publicKey } =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg.startsWith('ES')
        ? generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

/** What `TokenForge.sign` makes: default claims with `claims` over them, minus `omit`. */
export interface ForgeOptions {
  key: SigningKey;
  claims?: Record<string, unknown>;
  /** Claims to leave out of the defaults (e.g. `exp`, `sub`). */
  omit?: string[];
  header?: Record<string, unknown>;
}

/** The `iss` and `aud` of forged tokens unless a token's claims say otherwise. */
export interface TokenDefaults {
  issuer: string;
  audience: string;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/**
 * Makes access tokens the way an auth server (or an attacker) would: jose's CompactSign over
 * hand-built claims, so any header or claim can be set. `alg: none` and HMAC-with-the-public-key
 * are built by hand, since jose (rightly) refuses to make them.
 */
export class TokenForge {
  constructor(private readonly defaults: TokenDefaults) {}

  claims(extra: Record<string, unknown> = {}, omit: string[] = []): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.defaults.issuer,
      sub: 'alice',
      aud: this.defaults.audience,
      client_id: 'demo-app',
      scope: 'message.read',
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      ...extra,
    };
    for (const name of omit) delete claims[name];
    return claims;
  }

  sign(options: ForgeOptions): Promise<string> {
    return this.signWith(options.key, this.claims(options.claims, options.omit), {
      alg: options.key.alg,
      typ: 'at+jwt',
      kid: options.key.kid,
      ...options.header,
    });
  }

  async signWith(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown>): Promise<string> {
    // jose refuses headers a verifier must refuse too (unknown `crit`, an `alg` the key does not
    // fit): those are signed by hand.
    if (header['crit'] !== undefined || header['alg'] !== key.alg) return rawSign(key, claims, header);
    return new CompactSign(Buffer.from(JSON.stringify(claims)))
      .setProtectedHeader(header as { alg: string })
      .sign(key.privateKey);
  }

  /** `alg: none`, no signature. */
  unsigned(claims: Record<string, unknown>): string {
    return `${base64url(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${base64url(JSON.stringify(claims))}.`;
  }

  /** The classic key-confusion attack: HS256 with the issuer's public key as the HMAC secret. */
  hmacWithPublicKey(key: SigningKey, claims: Record<string, unknown>): string {
    const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: key.kid }))}.${base64url(JSON.stringify(claims))}`;
    const secret = key.publicKey.export({ format: 'pem', type: 'spki' });
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  }
}

function rawSign(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown>): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const alg = String(header['alg']);
  if (key.alg === 'EdDSA') return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
  const digest = `sha${alg.slice(2)}`;
  const signature = sign(digest, Buffer.from(input), {
    key: key.privateKey,
    dsaEncoding: 'ieee-p1363',
    ...(alg.startsWith('PS') ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 } : {}),
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** Flips one byte of the signature: a token whose signature no longer verifies. */
export function flipSignatureByte(token: string): string {
  const [header, payload, signature] = token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[10] ^= 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

/** Replaces the payload (e.g. another `sub`) and keeps the original signature. */
export function swapPayload(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${base64url(JSON.stringify(claims))}.${signature}`;
}

/** The claims of a token, unverified (for assertions in tests). */
export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
