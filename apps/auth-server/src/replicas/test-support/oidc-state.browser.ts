import { CookieJar } from '@baton/testing';
import { createHash, randomBytes } from 'node:crypto';
import { tokenEndpointProof } from '../../../test/support/dpop-proof';

export const DEMO_APP_REDIRECT_URI = 'http://127.0.0.1:7/callback';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const USER_SERVICE_BASIC = `Basic ${Buffer.from('user-service:secret').toString('base64')}`;
const MAX_STEPS = 12;

/** A code of demo-app, not redeemed yet, with what redeeming it needs. */
export interface IssuedCode {
  readonly code: string;
  readonly verifier: string;
  /** The forms the browser had to fill in on the way (`login`, `consent`): none when a session was reused. */
  readonly pages: readonly string[];
  /** `X-Baton-Replica` of every answer on the way (which replica served each step). */
  readonly replicas: readonly string[];
}

export interface FormReply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/**
 * demo-app's authorization request as a browser without script drives it (login and consent
 * forms, cookies in `jar`), up to the code on the redirect: the test redeems it itself, so it can
 * redeem it twice at once. With a signed-in `jar` no form is shown.
 */
export async function authorizeForCode(issuer: string, jar: CookieJar, user: { username: string; password: string }): Promise<IssuedCode> {
  const verifier = randomBytes(32).toString('base64url');
  const pages: string[] = [];
  const replicas: string[] = [];
  let url = new URL('/oauth2/authorize', issuer);
  url.search = new URLSearchParams({
    client_id: 'demo-app',
    response_type: 'code',
    redirect_uri: DEMO_APP_REDIRECT_URI,
    scope: 'openid user.read message.read message.write',
    state: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  let form: URLSearchParams | undefined;
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        cookie: jar.header(url) ?? '',
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', origin: url.origin }),
      },
      ...(form === undefined ? {} : { body: form }),
    });
    jar.store(response);
    replicas.push(response.headers.get('x-baton-replica') ?? '?');
    form = undefined;
    const location = response.headers.get('location');
    if (location !== null) {
      const next = new URL(location, url);
      if (next.href.startsWith(DEMO_APP_REDIRECT_URI)) {
        const code = next.searchParams.get('code');
        if (code === null) throw new Error(`no code in the redirect: ${next.searchParams.get('error') ?? 'no error either'}`);
        return { code, verifier, pages, replicas };
      }
      url = next;
      continue;
    }
    const page = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (action === undefined) throw new Error(`no form at ${url.pathname} (${response.status})`);
    url = new URL(action.replaceAll('&amp;', '&'), url);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    if (url.pathname.endsWith('/login')) {
      pages.push('login');
      form = new URLSearchParams({ csrf, username: user.username, password: user.password });
    } else {
      pages.push('consent');
      form = new URLSearchParams([['csrf', csrf], ...[...page.matchAll(/name="scope" value="([^"]+)"/g)].map((match): [string, string] => ['scope', match[1] ?? ''])]);
    }
  }
  throw new Error(`no code within ${MAX_STEPS} steps`);
}

/** POSTs a form to the auth server at `baseUrl` (a replica's own URL or the balancer's). */
export async function postForm(
  baseUrl: string,
  path: string,
  form: Record<string, string>,
  authorization?: string,
  extraHeaders: Record<string, string> = {},
): Promise<FormReply> {
  const response = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization === undefined ? {} : { authorization }), ...extraHeaders },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export function redeemCode(baseUrl: string, issued: IssuedCode): Promise<FormReply> {
  return postForm(baseUrl, '/oauth2/token', {
    grant_type: 'authorization_code',
    code: issued.code,
    redirect_uri: DEMO_APP_REDIRECT_URI,
    client_id: 'demo-app',
    code_verifier: issued.verifier,
  });
}

export function refresh(baseUrl: string, refreshToken: string): Promise<FormReply> {
  return postForm(baseUrl, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-app' });
}

/** RFC 7009 revocation of demo-app's refresh token. */
export function revokeRefreshToken(baseUrl: string, refreshToken: string): Promise<FormReply> {
  return postForm(baseUrl, '/oauth2/revoke', { token: refreshToken, token_type_hint: 'refresh_token', client_id: 'demo-app' });
}

/**
 * user-service exchanging a user's access token (for user-service) for one to message-service,
 * with a fresh DPoP proof as the demo policy requires (`proof`: another one, e.g. replayed).
 */
export async function exchangeForMessageService(baseUrl: string, subjectToken: string, proof?: string): Promise<FormReply> {
  return postForm(
    baseUrl,
    '/oauth2/token',
    {
      grant_type: TOKEN_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'message-service',
    },
    USER_SERVICE_BASIC,
    { dpop: proof ?? (await tokenEndpointProof(baseUrl)) },
  );
}
