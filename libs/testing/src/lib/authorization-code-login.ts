import type { TokenSet } from '@baton/dto';
import { createHash, randomBytes } from 'node:crypto';
import { CookieJar } from './cookie-jar';
import { OAuthRequestError } from './oauth-request.error';

export const DEMO_APP_CLIENT_ID = 'demo-app';
export const DEFAULT_LOGIN_SCOPE = 'openid user.read message.read message.write';

export interface AuthorizationCodeLoginOptions {
  /** Base URL of the auth server (its issuer, e.g. `http://127.0.0.1:9001`). */
  baseUrl: string;
  username: string;
  password: string;
  /** Default `demo-app`, a public client (PKCE, no secret). */
  clientId?: string;
  /** Default a loopback URI of demo-app on an arbitrary port (nothing needs to listen there). */
  redirectUri?: string;
  /** Default `openid user.read message.read message.write`. */
  scope?: string;
  /** A resource server by URI or audience; default the client's default resource. */
  resource?: string;
  /** The scopes to leave checked on the consent page; default all offered. */
  consent?: readonly string[];
  /** Cookies of the "browser": pass the same jar again to reuse its sign-in session. */
  jar?: CookieJar;
  /** Told about each page the flow fills in. */
  onStep?: (step: 'login' | 'consent') => void;
}

const MAX_STEPS = 12;

/**
 * The authorization code flow with PKCE (S256) as a browser without JavaScript would do it,
 * over fetch with a hand-kept cookie jar: authorize, login form, consent form, code, token.
 * Throws an OAuthRequestError when a step is refused (a wrong password: status 401).
 */
export async function authorizationCodeLogin(options: AuthorizationCodeLoginOptions): Promise<TokenSet> {
  const clientId = options.clientId ?? DEMO_APP_CLIENT_ID;
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:7/callback';
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const jar = options.jar ?? new CookieJar();

  const authorize = new URL('/oauth2/authorize', options.baseUrl);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: options.scope ?? DEFAULT_LOGIN_SCOPE,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(options.resource === undefined ? {} : { resource: options.resource }),
  }).toString();

  let response = await request(jar, authorize);
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      const next = new URL(location, response.url || authorize);
      if (next.href.startsWith(redirectUri.split('?')[0] ?? redirectUri)) {
        const code = codeFrom(next, state);
        return exchangeCode({ baseUrl: options.baseUrl, clientId, redirectUri, code, verifier });
      }
      response = await request(jar, next);
      continue;
    }
    const page = await response.text();
    if (!response.ok) throw new OAuthRequestError(`login failed at ${response.url}: ${pageMessage(page)}`, response.status, page);
    const form = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (form === undefined) throw new OAuthRequestError(`unexpected page at ${response.url}`, response.status, page);
    const action = new URL(unescape(form), response.url);
    // Every form carries the interaction's CSRF token, as a browser would send it back.
    const csrf: [string, string][] = [...page.matchAll(/name="csrf" value="([^"]+)"/g)].slice(0, 1).map((match) => ['csrf', unescape(match[1] ?? '')]);
    if (action.pathname.endsWith('/login')) {
      options.onStep?.('login');
      response = await request(jar, action, new URLSearchParams([...csrf, ['username', options.username], ['password', options.password]]));
    } else if (action.pathname.endsWith('/confirm')) {
      options.onStep?.('consent');
      const offered = [...page.matchAll(/name="scope" value="([^"]+)"/g)].map((match) => unescape(match[1] ?? ''));
      const chosen = options.consent === undefined ? offered : offered.filter((scope) => scope === 'openid' || options.consent?.includes(scope));
      response = await request(jar, action, new URLSearchParams([...csrf, ...chosen.map((scope): [string, string] => ['scope', scope])]));
    } else {
      throw new OAuthRequestError(`unexpected form ${action.pathname}`, response.status, page);
    }
  }
  throw new OAuthRequestError(`login did not finish within ${MAX_STEPS} steps`, response.status, undefined);
}

/** A refresh_token grant for a public client. */
export async function refreshTokens(options: { baseUrl: string; refreshToken: string; clientId?: string }): Promise<TokenSet> {
  return tokenRequest(options.baseUrl, {
    grant_type: 'refresh_token',
    refresh_token: options.refreshToken,
    client_id: options.clientId ?? DEMO_APP_CLIENT_ID,
  });
}

/** POSTs a token request and returns the TokenSet, or throws OAuthRequestError with the answer. */
export async function tokenRequest(
  baseUrl: string,
  parameters: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenSet> {
  const response = await fetch(new URL('/oauth2/token', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(parameters),
  });
  const body = (await response.json()) as TokenSet | { error: string; error_description?: string };
  if (!response.ok || 'error' in body) {
    const { error, error_description: description } = body as { error: string; error_description?: string };
    throw new OAuthRequestError(`token request failed: ${response.status} ${error}${description ? ` (${description})` : ''}`, response.status, body);
  }
  return body;
}

function exchangeCode(options: { baseUrl: string; clientId: string; redirectUri: string; code: string; verifier: string }): Promise<TokenSet> {
  return tokenRequest(options.baseUrl, {
    grant_type: 'authorization_code',
    code: options.code,
    redirect_uri: options.redirectUri,
    client_id: options.clientId,
    code_verifier: options.verifier,
  });
}

function codeFrom(callback: URL, state: string): string {
  const error = callback.searchParams.get('error');
  if (error !== null) {
    const description = callback.searchParams.get('error_description');
    throw new OAuthRequestError(`authorization failed: ${error}${description ? ` (${description})` : ''}`, 400, {
      error,
      error_description: description ?? undefined,
    });
  }
  if (callback.searchParams.get('state') !== state) throw new OAuthRequestError('authorization response state mismatch', 400, undefined);
  const code = callback.searchParams.get('code');
  if (code === null) throw new OAuthRequestError('authorization response has no code', 400, undefined);
  return code;
}

async function request(jar: CookieJar, url: URL, form?: URLSearchParams): Promise<Response> {
  const cookie = jar.header(url);
  const response = await fetch(url, {
    method: form === undefined ? 'GET' : 'POST',
    redirect: 'manual',
    headers: {
      ...(cookie === undefined ? {} : { cookie }),
      ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
    },
    ...(form === undefined ? {} : { body: form }),
  });
  jar.store(response);
  // fetch leaves `url` empty for manual redirects in some runtimes: keep the one asked for.
  return response.url === '' ? Object.defineProperty(response, 'url', { value: url.href }) : response;
}

function pageMessage(page: string): string {
  const alert = /role="alert">([^<]*)</.exec(page)?.[1];
  return alert === undefined ? 'unexpected answer' : unescape(alert);
}

function unescape(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
