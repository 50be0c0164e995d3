import { TokenExchangeRefusal } from '../grant/token-exchange-refusal';
import { isSupportedAlgorithm, keyFitsAlgorithm, verifyJwsSignature } from './jws-signature';
import type { VerifiedAccessToken } from './verified-access-token';
import type { VerificationKeys } from './verification-keys';

export interface AccessTokenVerifierOptions {
  /** Our issuer; a token's `iss` must equal it exactly. */
  issuer: string;
  keys: VerificationKeys;
  /** Seconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. Issuer and verifier share a clock here: 0 by default. */
  clockTolerance?: number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** RFC 9068 §2.1: `at+jwt`, or its full media type. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/**
 * Verifies that a string is an access token this server issued: a compact JWS of ours
 * (`typ: at+jwt`, a `kid` of our JWKS, signature valid), from our issuer, within its lifetime.
 * Every failure is `invalid_request` (RFC 8693 §2.2.2) naming the problem, never echoing the token.
 * Whether the token was issued to the requesting client is a policy check made by the caller.
 */
export class AccessTokenVerifier {
  private readonly options: AccessTokenVerifierOptions;
  private readonly now: () => number;
  private readonly clockTolerance: number;

  constructor(options: AccessTokenVerifierOptions) {
    this.options = options;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.clockTolerance = options.clockTolerance ?? 0;
  }

  /** `name` is the request parameter (`subject_token`, `actor_token`) used in error descriptions. */
  verify(token: string, name: string): VerifiedAccessToken {
    const refuse = (problem: string): TokenExchangeRefusal => TokenExchangeRefusal.invalidRequest(`${name} ${problem}`);

    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
      throw refuse('is not a signed JWT issued by this server');
    }
    const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
    const header = decodeJson(encodedHeader);
    if (header === undefined) throw refuse('is not a signed JWT issued by this server');

    if (typeof header['typ'] !== 'string' || !ACCESS_TOKEN_TYPES.has(header['typ'].toLowerCase())) {
      throw refuse('is not an access token (JWT typ must be at+jwt)');
    }
    const alg = header['alg'];
    if (typeof alg !== 'string' || !isSupportedAlgorithm(alg)) {
      throw refuse('is signed with an algorithm this server does not use');
    }
    if (header['crit'] !== undefined) throw refuse('has critical header parameters this server does not support');
    const kid = header['kid'];
    if (typeof kid !== 'string') throw refuse('is not signed by a key of this server (no kid)');
    const found = this.options.keys.find(kid);
    if (found === undefined) throw refuse('is not signed by a key of this server (unknown kid)');
    if (!keyFitsAlgorithm(found.jwk, alg)) throw refuse('is not signed by a key of this server (kid and alg do not match)');
    const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
    if (!verifyJwsSignature(alg, found.key, signingInput, Buffer.from(encodedSignature, 'base64url'))) {
      throw refuse('signature is invalid');
    }

    const claims = decodeJson(encodedPayload);
    if (claims === undefined) throw refuse('payload is not a JSON object');
    if (claims['iss'] !== this.options.issuer) throw refuse('was issued by another issuer');

    const now = this.now();
    const exp = claims['exp'];
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw refuse('has no expiry (exp)');
    if (exp <= now - this.clockTolerance) throw refuse('is expired');
    const nbf = claims['nbf'];
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + this.clockTolerance)) {
      throw refuse('is not yet valid (nbf)');
    }
    const iat = claims['iat'];
    if (iat !== undefined && (typeof iat !== 'number' || iat > now + this.clockTolerance)) {
      throw refuse('is not yet valid (iat in the future)');
    }

    const sub = claims['sub'];
    if (typeof sub !== 'string' || sub === '') throw refuse('has no subject (sub)');
    const aud = audienceList(claims['aud']);
    if (aud === undefined) throw refuse('has no audience (aud)');
    const scope = claims['scope'];
    if (scope !== undefined && typeof scope !== 'string') throw refuse('scope claim is not a string');
    const clientId = claims['client_id'];
    const jti = claims['jti'];

    return {
      kid,
      iss: this.options.issuer,
      sub,
      aud,
      scopes: scope === undefined ? [] : scope.split(' ').filter((entry) => entry !== ''),
      exp,
      ...(typeof iat === 'number' ? { iat } : {}),
      ...(typeof clientId === 'string' ? { clientId } : {}),
      ...(typeof jti === 'string' ? { jti } : {}),
      ...(claims['act'] !== undefined ? { act: claims['act'] } : {}),
      ...(claims['may_act'] !== undefined ? { mayAct: claims['may_act'] } : {}),
      ...('cnf' in claims ? { cnf: claims['cnf'] } : {}),
      claims,
    };
  }
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function audienceList(aud: unknown): string[] | undefined {
  if (typeof aud === 'string' && aud !== '') return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((entry) => typeof entry === 'string' && entry !== '')) {
    return aud as string[];
  }
  return undefined;
}
