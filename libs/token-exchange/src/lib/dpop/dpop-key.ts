import { JsonWebKey, KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { TokenExchangeOptionsError } from '../token-exchange-options.error';

/** Signature algorithms of this client's DPoP proofs: ES256 (P-256, the default) or EdDSA (Ed25519). */
export type DpopAlgorithm = 'ES256' | 'EdDSA';

/** What one proof is for (RFC 9449 §4.2). */
export interface DpopProofTarget {
  /** The HTTP method of the request (`htm`). */
  method: string;
  /** The request's URL; its query and fragment are left out of `htu`. */
  url: string;
  /** The access token sent with the request: its hash goes in `ath` (resource calls). */
  accessToken?: string;
  /** The server's last `DPoP-Nonce`, when it gave one. */
  nonce?: string;
}

const OPTION = 'dpop.key';

/**
 * This service's DPoP key (RFC 9449): the private key that signs proofs, its public JWK (the
 * proofs' `jwk` header) and the RFC 7638 SHA-256 thumbprint the auth server binds tokens to
 * (`cnf.jkt`). The public parts are computed once; each proof is signed with `node:crypto`,
 * synchronously (about 30 µs for ES256), with a fresh `jti`.
 */
export class DpopKey {
  /** The RFC 7638 thumbprint (SHA-256, base64url) of the public key: the `jkt` of bound tokens. */
  readonly thumbprint: string;
  /** The public key as a JWK, without private members (what a proof's `jwk` header carries). */
  readonly publicJwk: Readonly<JsonWebKey>;
  /** `base64url(header)` plus the dot: the same for every proof. */
  private readonly headerSegment: string;

  private constructor(
    private readonly privateKey: KeyObject,
    readonly algorithm: DpopAlgorithm,
  ) {
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    this.publicJwk = Object.freeze(publicMembers(jwk, algorithm));
    this.thumbprint = jwkThumbprint(this.publicJwk);
    this.headerSegment = `${base64url(JSON.stringify({ typ: 'dpop+jwt', alg: algorithm, jwk: this.publicJwk }))}.`;
  }

  /** A new key pair, held in memory only: tokens bound to it die with the process. */
  static generate(algorithm: DpopAlgorithm = 'ES256'): DpopKey {
    checkAlgorithmName(algorithm);
    const { privateKey } =
      algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    return new DpopKey(privateKey, algorithm);
  }

  /**
   * A configured key: a JWK with its private member `d` (object or JSON text), a PEM private key
   * (PKCS#8 or SEC1) or a `KeyObject`; EC P-256 (ES256) or Ed25519 (EdDSA). `algorithm`, when
   * given, must fit the key. Throws a `TokenExchangeOptionsError` that never quotes the key.
   */
  static from(input: JsonWebKey | string | KeyObject, algorithm?: DpopAlgorithm): DpopKey {
    if (algorithm !== undefined) checkAlgorithmName(algorithm);
    const key = readPrivateKey(input);
    const fits = algorithmOf(key);
    if (fits === undefined) {
      throw new TokenExchangeOptionsError(OPTION, 'must be an EC P-256 key (ES256) or an Ed25519 key (EdDSA)');
    }
    if (algorithm !== undefined && algorithm !== fits) {
      throw new TokenExchangeOptionsError('dpop.algorithm', `${algorithm} does not fit the key (use ${fits})`);
    }
    return new DpopKey(key, fits);
  }

  /** A new proof JWT for one request: `typ dpop+jwt`, `jwk`, `jti`, `htm`, `htu`, `iat`, `ath`, `nonce`. */
  proof(target: DpopProofTarget): string {
    const claims: Record<string, string | number> = {
      jti: randomUUID(),
      htm: target.method.toUpperCase(),
      htu: dpopHtu(target.url),
      // Dated by the system clock: the server judges `iat` by its own.
      iat: Math.floor(Date.now() / 1000),
    };
    if (target.accessToken !== undefined) claims['ath'] = accessTokenHash(target.accessToken);
    if (target.nonce !== undefined) claims['nonce'] = target.nonce;
    const input = this.headerSegment + base64url(JSON.stringify(claims));
    const signature =
      this.algorithm === 'ES256'
        ? sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' })
        : sign(null, Buffer.from(input), this.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }
}

/** The `htu` of a request to `url` (RFC 9449 §4.2): scheme, host and path; no query, no fragment. */
export function dpopHtu(url: string): string {
  const parsed = new URL(url);
  // URL lowercases the scheme and host and drops a default port: the RFC 3986 normal form.
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** The RFC 7638 thumbprint (SHA-256) of an EC or OKP public JWK: its required members in order. */
export function jwkThumbprint(jwk: Readonly<JsonWebKey>): string {
  const members =
    jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function publicMembers(jwk: JsonWebKey, algorithm: DpopAlgorithm): JsonWebKey {
  return algorithm === 'ES256' ? { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } : { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

function algorithmOf(key: KeyObject): DpopAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

function checkAlgorithmName(algorithm: unknown): void {
  if (algorithm !== 'ES256' && algorithm !== 'EdDSA') {
    throw new TokenExchangeOptionsError('dpop.algorithm', `must be ES256 or EdDSA, got ${JSON.stringify(algorithm)}`);
  }
}

function readPrivateKey(input: JsonWebKey | string | KeyObject): KeyObject {
  let key: KeyObject;
  try {
    if (input instanceof KeyObject) key = input;
    else if (typeof input === 'string' && input.trim().startsWith('{')) {
      key = createPrivateKey({ key: JSON.parse(input) as JsonWebKey, format: 'jwk' });
    } else if (typeof input === 'string') key = createPrivateKey(input);
    else if (typeof input === 'object' && input !== null) key = createPrivateKey({ key: input, format: 'jwk' });
    else throw new TypeError('not a key');
  } catch {
    // Never the key itself, nor the parser's message (it may quote it).
    if (typeof input === 'string' && isPublicKey(input)) {
      throw new TokenExchangeOptionsError(OPTION, 'is a public key; the private key is needed to sign proofs');
    }
    throw new TokenExchangeOptionsError(OPTION, 'is not a private key (a JWK with "d", a PEM private key or a KeyObject)');
  }
  if (key.type !== 'private') throw new TokenExchangeOptionsError(OPTION, 'is a public key; the private key is needed to sign proofs');
  return key;
}

function isPublicKey(text: string): boolean {
  try {
    createPublicKey(text);
    return true;
  } catch {
    return false;
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
