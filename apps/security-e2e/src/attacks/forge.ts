import { createHmac, generateKeyPairSync, KeyObject } from 'node:crypto';
import { base64url, encodeJson, JsonObject, signEs256 } from '../support/trusted-key';

/** A key pair of the attacker's, and its kid: nothing the auth server knows about. */
export interface AttackerKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
}

export function attackerKey(kid = 'attacker-key'): AttackerKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

/** header.payload of a JWS, each part base64url JSON. */
export function signingInput(header: JsonObject, claims: JsonObject): string {
  return `${encodeJson(header)}.${encodeJson(claims)}`;
}

/** ES256 with any key: the signature is genuine, the key is not the server's. */
export function signWith(key: KeyObject, header: JsonObject, claims: JsonObject): string {
  const input = signingInput(header, claims);
  return `${input}.${base64url(signEs256(key, input))}`;
}

/** HS256 with a secret of the attacker's choosing (algorithm confusion, kid tricks). */
export function hmacSign(secret: string | Buffer, header: JsonObject, claims: JsonObject): string {
  const input = signingInput(header, claims);
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A JWS with a signature of the attacker's making (empty, zeros, garbage). */
export function withSignature(header: JsonObject, claims: JsonObject, signature: Buffer | string): string {
  return `${signingInput(header, claims)}.${typeof signature === 'string' ? signature : base64url(signature)}`;
}

/** Replaces one segment of a compact JWS, keeping the others as they are. */
export function replaceSegment(token: string, index: 0 | 1 | 2, segment: string): string {
  const parts = token.split('.');
  parts[index] = segment;
  return parts.join('.');
}

/** The raw R||S signature of an ES256 JWS, re-encoded as ASN.1 DER (what JOSE forbids). */
export function derEncodedSignature(token: string): string {
  const raw = Buffer.from(token.split('.')[2] ?? '', 'base64url');
  const integer = (bytes: Buffer): Buffer => {
    let value = bytes;
    while (value.length > 1 && value[0] === 0 && (value[1] ?? 0) < 0x80) value = value.subarray(1);
    if ((value[0] ?? 0) >= 0x80) value = Buffer.concat([Buffer.from([0]), value]);
    return Buffer.concat([Buffer.from([0x02, value.length]), value]);
  };
  const body = Buffer.concat([integer(raw.subarray(0, 32)), integer(raw.subarray(32))]);
  return replaceSegment(token, 2, base64url(Buffer.concat([Buffer.from([0x30, body.length]), body])));
}

/** Standard base64 with padding instead of base64url: the same bytes, another text. */
export function toPaddedBase64(token: string): string {
  return token
    .split('.')
    .map((part) => Buffer.from(part, 'base64url').toString('base64'))
    .join('.');
}

/** A claims value nested `depth` levels deep: `[[[...]]]`. */
export function deeplyNested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}
