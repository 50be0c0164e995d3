import { AxiosResponse } from 'axios';
import { ExchangeCacheKeyParts } from '../cache/exchange-cache-key';
import { AuthServerUnavailableError } from '../errors/auth-server-unavailable.error';
import { SubjectTokenRejectedError } from '../errors/subject-token-rejected.error';
import { TokenExchangeMisconfiguredError } from '../errors/token-exchange-misconfigured.error';
import { ExchangedToken } from '../exchange-request';
import { TokenTypeUri } from '../token-exchange.constants';
import { parseJsonObject } from './http-attempt';

export const MAX_TOKEN_LENGTH = 16_384;
const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600;
const MAX_RETRY_AFTER_SECONDS = 300;
/** A bearer token is printable ASCII without spaces (RFC 6750 b64token is narrower still). */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
/** Codes that say the caller's token is the problem (RFC 8693 §2.2.2 uses invalid_request). */
const SUBJECT_TOKEN_ERRORS = new Set(['invalid_request', 'invalid_grant']);
const USABLE_TOKEN_TYPES: readonly string[] = [TokenTypeUri.accessToken, TokenTypeUri.jwt];

/**
 * Reads the token endpoint's answer to an exchange: the token, checked before anyone uses or
 * caches it, or the typed error the caller's caller will see (401, 502, 503 + Retry-After).
 */
export function readTokenResponse(
  response: AxiosResponse<string>,
  parts: ExchangeCacheKeyParts,
  obtainedAt: number,
  defaultRetryAfterSeconds: number,
): ExchangedToken {
  const { status } = response;
  if (status === 429 || status >= 500) {
    throw new AuthServerUnavailableError(`http_${status}`, retryAfter(response) ?? defaultRetryAfterSeconds);
  }
  const body = parseJsonObject(response.data);
  if (status !== 200) {
    const code = typeof body?.['error'] === 'string' ? body['error'] : `http_${status}`;
    if (status === 400 && SUBJECT_TOKEN_ERRORS.has(code)) throw new SubjectTokenRejectedError(code);
    const description = typeof body?.['error_description'] === 'string' ? `: ${body['error_description']}` : '';
    throw new TokenExchangeMisconfiguredError(code, `token endpoint answered ${status} ${code}${description}`);
  }
  if (body === undefined) throw invalidResponse('the body is not a JSON object');
  return Object.freeze(validateTokenResponse(body, parts, obtainedAt));
}

function validateTokenResponse(
  body: Record<string, unknown>,
  parts: ExchangeCacheKeyParts,
  obtainedAt: number,
): ExchangedToken {
  const accessToken = body['access_token'];
  if (typeof accessToken !== 'string' || accessToken.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(accessToken)) {
    throw invalidResponse('access_token is missing or malformed');
  }
  const tokenType = body['token_type'];
  const kind = typeof tokenType === 'string' ? tokenType.toLowerCase() : undefined;
  // A bound token is usable only with proofs of our key: never accept one we did not ask for.
  // With DPoP asked for, a Bearer answer is a server that does not bind (RFC 9449 §5): usable as is.
  if (kind !== 'bearer' && (kind !== 'dpop' || parts.dpopJkt === undefined)) {
    throw invalidResponse(parts.dpopJkt === undefined ? 'token_type is not Bearer' : 'token_type is neither DPoP nor Bearer');
  }
  const issuedTokenType = body['issued_token_type'];
  if (typeof issuedTokenType !== 'string' || !USABLE_TOKEN_TYPES.includes(issuedTokenType)) {
    throw invalidResponse('issued_token_type is missing or not an access token type');
  }
  if (parts.requestedTokenType !== undefined && issuedTokenType !== parts.requestedTokenType) {
    throw invalidResponse('issued_token_type is not the requested type');
  }
  const expiresIn = body['expires_in'];
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_IN_SECONDS) {
    throw invalidResponse('expires_in is missing or out of range');
  }
  const scope = body['scope'];
  if (scope !== undefined && typeof scope !== 'string') throw invalidResponse('scope is not a string');
  if (scope !== undefined && parts.scope !== undefined) {
    const asked = new Set(parts.scope.split(' '));
    if (scope.split(' ').some((granted) => granted !== '' && !asked.has(granted))) {
      throw invalidResponse('scope is wider than requested');
    }
  }
  return {
    accessToken,
    tokenType: kind === 'dpop' ? 'DPoP' : 'Bearer',
    issuedTokenType,
    expiresAt: obtainedAt + expiresIn * 1_000,
    scope: scope ?? parts.scope,
  };
}

/** The server's own `Retry-After` in whole seconds, kept within 1..300. */
function retryAfter(response: AxiosResponse<string>): number | undefined {
  const header: unknown = response.headers['retry-after'];
  if (typeof header !== 'string' || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Math.min(Math.max(Number(header.trim()), 1), MAX_RETRY_AFTER_SECONDS);
}

function invalidResponse(detail: string): TokenExchangeMisconfiguredError {
  return new TokenExchangeMisconfiguredError('invalid_response', `token endpoint response: ${detail}`);
}
