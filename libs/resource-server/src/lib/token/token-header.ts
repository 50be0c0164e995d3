import { BearerChallenge, ResourceServerError } from '../errors/resource-server.error';

export interface AccessTokenHeader {
  readonly alg: string;
  readonly kid: string | undefined;
}

// RFC 9068 §4: "at+jwt", compared case-insensitively, with or without the "application/" prefix.
const ACCESS_TOKEN_TYPE = /^(application\/)?at\+jwt$/i;

/**
 * Reads and checks the protected header before any key is looked up: the algorithm must be one we
 * accept and the type must say "access token", so neither a forged `alg` nor an ID token can make
 * the resource server fetch keys or verify anything.
 */
export function readAccessTokenHeader(
  token: string,
  algorithms: readonly string[],
  challenge: BearerChallenge,
): AccessTokenHeader {
  const [encoded] = token.split('.', 1);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw ResourceServerError.invalidToken('malformed', challenge);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw ResourceServerError.invalidToken('malformed', challenge);
  }
  const { alg, kid, typ, crit } = header as Record<string, unknown>;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) throw ResourceServerError.invalidToken('algorithm', challenge);
  if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPE.test(typ)) throw ResourceServerError.invalidToken('type', challenge);
  if (kid !== undefined && typeof kid !== 'string') throw ResourceServerError.invalidToken('malformed', challenge);
  // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
  if (crit !== undefined) throw ResourceServerError.invalidToken('malformed', challenge);
  return { alg, kid };
}
