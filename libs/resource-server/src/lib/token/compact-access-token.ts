import { BearerChallenge, ResourceServerError } from '../errors/resource-server.error';

/** A compact JWS access token taken apart, its protected header checked; nothing verified yet. */
export interface CompactAccessToken {
  readonly alg: string;
  readonly kid: string | undefined;
  /** `header.payload`, the bytes the signature covers. */
  readonly signingInput: Buffer;
  readonly encodedPayload: string;
  readonly encodedSignature: string;
}

// RFC 9068 §4: "at+jwt", compared case-insensitively, with or without the "application/" prefix.
const ACCESS_TOKEN_TYPE = /^(application\/)?at\+jwt$/i;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ASCII_WHITESPACE = /[\t\n\f\r ]/;
const ALL_ASCII_WHITESPACE = /[\t\n\f\r ]/g;
// As jose's: a header or claims set that is not well-formed UTF-8 is malformed, not repaired. A
// claims set may start with a byte order mark (jose drops it); a header may not (it is malformed,
// as the header check before jose always answered).
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const STRICT_UTF8_KEEPING_BOM = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Takes a compact JWS apart and checks its protected header before any key is looked up: the
 * algorithm must be one we accept and the type must say "access token", so neither a forged `alg`
 * nor an ID token can make the resource server fetch keys or verify anything. No `crit` (RFC 7515
 * §4.1.11: extensions we do not understand must not be ignored), a `kid` if any is a string.
 */
export function parseCompactAccessToken(token: string, algorithms: readonly string[], challenge: BearerChallenge): CompactAccessToken {
  const malformed = () => ResourceServerError.invalidToken('malformed', challenge);
  const parts = token.split('.');
  const header = decodeJsonObject(parts[0] ?? '', 'refuse');
  if (header === undefined) throw malformed();
  const { alg, kid, typ, crit } = header;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) throw ResourceServerError.invalidToken('algorithm', challenge);
  if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPE.test(typ)) throw ResourceServerError.invalidToken('type', challenge);
  if (kid !== undefined && typeof kid !== 'string') throw malformed();
  if (crit !== undefined) throw malformed();
  if (parts.length !== 3) throw malformed();
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  return {
    alg,
    kid,
    signingInput: Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1'),
    encodedPayload,
    encodedSignature,
  };
}

/**
 * A base64url segment decoded the way jose decodes it (WHATWG forgiving-base64: ASCII whitespace
 * ignored, correct padding allowed, anything else outside the alphabet refused); `undefined` when
 * it is not base64url. Buffer's own decoder would skip invalid characters silently.
 */
export function decodeBase64urlSegment(segment: string): Buffer | undefined {
  let value = ASCII_WHITESPACE.test(segment) ? segment.replace(ALL_ASCII_WHITESPACE, '') : segment;
  if (value.length % 4 === 0) {
    if (value.endsWith('==')) value = value.slice(0, -2);
    else if (value.endsWith('=')) value = value.slice(0, -1);
  }
  if (value.length % 4 === 1 || !BASE64URL.test(value)) return undefined;
  return Buffer.from(value, 'base64url');
}

/** A base64url segment holding a JSON object (a JOSE header, a claims set); `undefined` otherwise. */
export function decodeJsonObject(segment: string, byteOrderMark: 'drop' | 'refuse' = 'drop'): Record<string, unknown> | undefined {
  const bytes = decodeBase64urlSegment(segment);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse((byteOrderMark === 'drop' ? STRICT_UTF8 : STRICT_UTF8_KEEPING_BOM).decode(bytes));
  } catch {
    return undefined;
  }
  return isPlainObject(value) ? value : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
