import { constants, createHash, randomUUID, sign } from 'node:crypto';
import { jwkThumbprint } from '../dpop/jwk-thumbprint';
import { generateSigningKey, SigningAlgorithm, SigningKey } from './token-forge';

/** A client's DPoP key: the private key signs proofs, the thumbprint is the token's `cnf.jkt`. */
export interface DpopTestKey extends SigningKey {
  /** RFC 7638 SHA-256 thumbprint of the public key: put it in a token as `cnf: { jkt }`. */
  readonly thumbprint: string;
  /** The public JWK as a proof header carries it (no `kid`, `alg` or `use`). */
  readonly publicJwk: Record<string, unknown>;
}

/** What a proof says; anything not given gets a working default. */
export interface DpopProofClaims {
  /** The HTTP method, e.g. `GET`. */
  htm: string;
  /** The URL called, as the service is publicly known, e.g. `https://api.example/messages`. */
  htu: string;
  /** The access token sent with the proof: `ath` is its hash. Omit for a proof without `ath`. */
  accessToken?: string;
  /** The server's nonce (from `DPoP-Nonce`). */
  nonce?: string;
  /** Seconds since the epoch. Default: now. */
  iat?: number;
  /** Default: a fresh UUID. */
  jti?: string;
  /** Claims over (or, `undefined`, instead of) the ones above. */
  claims?: Record<string, unknown>;
  /** Header members over the defaults (`typ`, `alg`, `jwk`); `undefined` removes one. */
  header?: Record<string, unknown>;
}

/** A fresh DPoP key for `alg` (EdDSA: Ed25519). */
export function generateDpopKey(alg: SigningAlgorithm = 'ES256'): DpopTestKey {
  const key = generateSigningKey(alg);
  const publicJwk = key.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const thumbprint = jwkThumbprint(publicJwk);
  if (thumbprint === undefined) throw new Error(`no thumbprint for a ${alg} key`);
  return { ...key, thumbprint, publicJwk };
}

/**
 * A DPoP proof (RFC 9449 §4.2) signed with `key`, as a client makes one; any header member or
 * claim can be changed to make a proof a resource server must refuse.
 */
export function createDpopProof(key: DpopTestKey, claims: DpopProofClaims): string {
  const header = dropUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...claims.header });
  const payload = dropUndefined({
    jti: claims.jti ?? randomUUID(),
    htm: claims.htm,
    htu: claims.htu,
    iat: claims.iat ?? Math.floor(Date.now() / 1000),
    ath: claims.accessToken === undefined ? undefined : createHash('sha256').update(claims.accessToken, 'ascii').digest('base64url'),
    nonce: claims.nonce,
    ...claims.claims,
  });
  const input = `${encode(header)}.${encode(payload)}`;
  // A header `alg` that names no signature (`none`, `HS256`) is signed as the key's own.
  const named = String(header['alg'] ?? key.alg);
  const alg = /^(ES|RS|PS)(256|384|512)$/.test(named) ? named : key.alg;
  const signature =
    key.alg === 'EdDSA'
      ? sign(null, Buffer.from(input), key.privateKey)
      : sign(`sha${alg.slice(2)}`, Buffer.from(input), {
          key: key.privateKey,
          dsaEncoding: 'ieee-p1363',
          ...(alg.startsWith('PS') ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 } : {}),
        });
  return `${input}.${signature.toString('base64url')}`;
}

function encode(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}
