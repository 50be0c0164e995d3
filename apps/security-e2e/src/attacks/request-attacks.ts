import { ResourceServerUnderTest } from '../support/security-system';
import { AttackContext } from './attack-context';
import { toPaddedBase64 } from './forge';

/** The request an attack sends to a resource server (path relative to the server). */
export interface AttackRequest {
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** What the resource server must answer. */
export type ExpectedAnswer =
  /** 401 with the bare challenge `Bearer realm="<service>"` (RFC 6750 §3: no error without credentials). */
  | { readonly status: 401; readonly kind: 'no-token' }
  /** 400 invalid_request with this description in the challenge. */
  | { readonly status: 400; readonly kind: 'invalid-request'; readonly description: string }
  /** 403 insufficient_scope naming the scope. */
  | { readonly status: 403; readonly kind: 'insufficient-scope' }
  /** Refused by Node's HTTP parser before the app sees it: no body, no challenge. */
  | { readonly status: 431; readonly kind: 'header-too-large' };

/** An attack on how the token travels rather than on the token itself. */
export interface RequestAttack {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  request(context: AttackContext, server: ResourceServerUnderTest): AttackRequest;
  readonly expect: ExpectedAnswer;
}

export const REQUEST_PROBLEMS = {
  multipleMethods: 'The access token was sent in more than one way',
  tokenInUrl: 'Access tokens are accepted only in the Authorization header, not in the URL',
  tokenInBody: 'Access tokens are accepted only in the Authorization header, not in the body',
  malformedHeader: 'The Authorization header is malformed',
} as const;

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** The route where a form body is parsed: each service's POST. */
const postPath = (server: ResourceServerUnderTest): string => (server.name === 'user-service' ? '/api/users/messages' : '/api/messages');

export const REQUEST_ATTACKS: readonly RequestAttack[] = [
  {
    id: 'R01',
    title: 'no Authorization header',
    source: 'RFC 6750 §3, §3.1',
    request: () => ({}),
    expect: { status: 401, kind: 'no-token' },
  },
  {
    id: 'R02',
    title: 'Basic credentials instead of a bearer token',
    source: 'RFC 6750 §3; RFC 7235 §4.1',
    request: () => ({ headers: { authorization: `Basic ${Buffer.from('user-service:secret').toString('base64')}` } }),
    expect: { status: 401, kind: 'no-token' },
  },
  {
    id: 'R03',
    title: '"Bearer" without a token',
    source: 'RFC 6750 §2.1 (b64token required), §3.1 invalid_request',
    request: () => ({ headers: { authorization: 'Bearer' } }),
    expect: { status: 400, kind: 'invalid-request', description: REQUEST_PROBLEMS.malformedHeader },
  },
  {
    id: 'R04',
    title: 'token with characters outside b64token (Latin-1, quotes, commas)',
    source: 'RFC 6750 §2.1 (b64token syntax); RFC 8725 §3.7',
    request: ({ system }, server) => ({ headers: { authorization: `Bearer ${system.validToken(server.audience)}",é,x` } }),
    expect: { status: 400, kind: 'invalid-request', description: REQUEST_PROBLEMS.malformedHeader },
  },
  {
    id: 'R05',
    title: 'a valid token re-encoded as padded standard base64 (same bytes, other text)',
    source: 'RFC 7515 §2 (base64url, no padding); RFC 6750 §2.1; RFC 8725 §2.6',
    request: ({ system }, server) => ({ headers: bearer(toPaddedBase64(system.validToken(server.audience))) }),
    expect: { status: 400, kind: 'invalid-request', description: REQUEST_PROBLEMS.malformedHeader },
  },
  {
    id: 'R06',
    title: 'token in the URL query (access_token=...)',
    source: 'RFC 6750 §2.3, §5.3; RFC 9700 §4.3 (tokens in URLs leak)',
    request: ({ system }, server) => ({ path: `${server.path}?access_token=${system.validToken(server.audience)}` }),
    expect: { status: 400, kind: 'invalid-request', description: REQUEST_PROBLEMS.tokenInUrl },
  },
  {
    id: 'R07',
    title: 'token in the header and in the URL query',
    source: 'RFC 6750 §2 (MUST NOT use more than one method)',
    request: ({ system }, server) => {
      const token = system.validToken(server.audience);
      return { path: `${server.path}?access_token=${token}`, headers: bearer(token) };
    },
    expect: { status: 400, kind: 'invalid-request', description: REQUEST_PROBLEMS.multipleMethods },
  },
  {
    id: 'R08',
    title: 'token in a form-encoded body',
    source: 'RFC 6750 §2.2 (not accepted here), §5.3',
    request: ({ system }, server) => ({
      path: postPath(server),
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${system.validToken(server.audience)}&to=bob&text=hi`,
    }),
    expect: { status: 400, kind: 'invalid-request', description: REQUEST_PROBLEMS.tokenInBody },
  },
  {
    id: 'R09',
    title: 'x-request-id carrying quotes, spaces, Latin-1 and a fake log field',
    source: 'OWASP logging cheat sheet (log injection); RFC 9110 §5.5',
    request: () => ({ headers: { 'x-request-id': 'abc" level=error msg="forged é' } }),
    expect: { status: 401, kind: 'no-token' },
  },
  {
    id: 'R10',
    title: 'x-request-id of 8 KiB (log flooding)',
    source: 'OWASP logging cheat sheet; RFC 8725 §2.6 (resource exhaustion)',
    request: () => ({ headers: { 'x-request-id': 'r'.repeat(8 * 1024) } }),
    expect: { status: 401, kind: 'no-token' },
  },
  {
    id: 'R11',
    title: 'oversized Authorization header (64 KiB)',
    source: 'RFC 6585 §5 (431); RFC 8725 §2.6 (resource exhaustion)',
    request: () => ({ headers: { authorization: `Bearer ${'A'.repeat(64 * 1024)}` } }),
    expect: { status: 431, kind: 'header-too-large' },
  },
  {
    id: 'R12',
    title: 'a valid token without the route’s scope',
    source: 'RFC 6750 §3.1 insufficient_scope; RFC 9068 §4; ASVS 5 V10.3.2',
    request: ({ system }, server) => ({ headers: bearer(system.validToken(server.audience, { scope: 'profile' })) }),
    expect: { status: 403, kind: 'insufficient-scope' },
  },
];
