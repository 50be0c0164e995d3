import { IncomingMessage } from 'node:http';
import { BearerChallenge, ResourceServerError } from '../errors/resource-server.error';

/** The parts of an HTTP request the resource server reads. */
export type ResourceServerRequest = IncomingMessage & { body?: unknown; user?: unknown };

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The access token of a request and the scheme it came with. */
export interface AccessTokenCredentials {
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
}

/**
 * The access token of a request, from `Authorization: Bearer …` or, when the service accepts DPoP,
 * `Authorization: DPoP …` (RFC 9449 §7.1; same token68 grammar). Refusals as `extractBearerToken`.
 */
export function extractAccessToken(request: ResourceServerRequest, challenge: BearerChallenge, acceptDpop: boolean): AccessTokenCredentials {
  const header = request.headers.authorization;
  const inUrl = hasQueryToken(request.url);
  const inBody = hasFormBodyToken(request);
  const fromHeader = header === undefined ? undefined : parseAuthorization(header, challenge, acceptDpop);

  if (fromHeader !== undefined && (inUrl || inBody)) throw ResourceServerError.invalidRequest('multipleMethods', challenge);
  if (inUrl && inBody) throw ResourceServerError.invalidRequest('multipleMethods', challenge);
  if (inUrl) throw ResourceServerError.invalidRequest('tokenInUrl', challenge);
  if (inBody) throw ResourceServerError.invalidRequest('tokenInBody', challenge);
  if (fromHeader === undefined) throw ResourceServerError.missingToken(challenge);
  return fromHeader;
}

/**
 * The bearer token of a request, from the `Authorization` header (scheme matched
 * case-insensitively). Tokens in the URL or a form body are refused with `invalid_request`:
 * URLs end up in logs and caches (RFC 6750 §2.3, RFC 9700 §2.5), and a request carrying a token in
 * more than one place is ambiguous (RFC 6750 §3.1). No header, or another scheme, is "no token".
 */
export function extractBearerToken(request: ResourceServerRequest, challenge: BearerChallenge): string {
  return extractAccessToken(request, challenge, false).token;
}

function parseAuthorization(header: string, challenge: BearerChallenge, acceptDpop: boolean): AccessTokenCredentials | undefined {
  const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: +(.*))?$/.exec(header.trim());
  if (!match) return undefined;
  const name = match[1].toLowerCase();
  const scheme = name === 'bearer' ? 'Bearer' : name === 'dpop' && acceptDpop ? 'DPoP' : undefined;
  if (scheme === undefined) return undefined;
  const credentials = match[2];
  if (credentials === undefined || !B64TOKEN.test(credentials)) {
    throw ResourceServerError.invalidRequest('malformedHeader', challenge);
  }
  return { scheme, token: credentials };
}

function hasQueryToken(url: string | undefined): boolean {
  if (url === undefined || !url.includes('?')) return false;
  return new URL(url, 'http://localhost').searchParams.has('access_token');
}

function hasFormBodyToken(request: ResourceServerRequest): boolean {
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return false;
  const body = request.body;
  return typeof body === 'object' && body !== null && 'access_token' in body;
}
