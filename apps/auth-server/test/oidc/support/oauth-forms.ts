import { TOKEN_EXCHANGE_GRANT_TYPE } from '@baton/dto';
import { createHash, randomBytes } from 'node:crypto';
import { CookieJar } from '@baton/testing';
import { tokenEndpointProof } from '../../support/dpop-proof';

export interface ClientCredentials {
  id: string;
  secret: string;
}

export const USER_SERVICE: ClientCredentials = { id: 'user-service', secret: 'secret' };

export interface FormReply {
  status: number;
  headers: Headers;
  /** The JSON body, `undefined` for an empty one. */
  body: Record<string, unknown> | undefined;
}

/** POSTs a form to an endpoint of the auth server; `basic` authenticates the client with HTTP Basic. */
export async function postForm(
  baseUrl: string,
  path: string,
  form: Record<string, string>,
  basic?: ClientCredentials,
  extraHeaders: Record<string, string> = {},
): Promise<FormReply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic === undefined ? {} : { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` }),
      ...extraHeaders,
    },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

/**
 * user-service exchanging `subjectToken` (an access token for user-service) for one to
 * message-service, with a fresh DPoP proof: the demo policy says requireDpop.
 */
export async function exchangeForMessageService(baseUrl: string, subjectToken: string): Promise<FormReply> {
  return postForm(
    baseUrl,
    '/oauth2/token',
    {
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'message-service',
    },
    USER_SERVICE,
    { dpop: await tokenEndpointProof(baseUrl) },
  );
}

/** A code of demo-app, not yet redeemed, with what redeeming it needs. */
export interface IssuedCode {
  code: string;
  verifier: string;
  redirectUri: string;
  /** The browser's cookies, signed in (for end_session). */
  jar: CookieJar;
}

const REDIRECT_URI = 'http://127.0.0.1:7/callback';
const MAX_STEPS = 12;

/**
 * Signs a user in at demo-app's authorization request (login and consent forms, as a browser
 * without script would) and stops at the code, which the test redeems itself: replaying a code
 * needs the code, and token response headers need the raw answer.
 */
export async function signInForCode(baseUrl: string, username: string, password: string, scope = 'openid user.read message.read message.write'): Promise<IssuedCode> {
  const verifier = randomBytes(32).toString('base64url');
  const jar = new CookieJar();
  const authorize = new URL('/oauth2/authorize', baseUrl);
  authorize.search = new URLSearchParams({
    client_id: 'demo-app',
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope,
    state: 'state-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  let response = await browse(jar, authorize);
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const location = response.headers.get('location');
    if (location !== null) {
      const next = new URL(location, authorize);
      if (next.href.startsWith(REDIRECT_URI)) {
        const code = next.searchParams.get('code');
        if (code === null) throw new Error(`no code in ${next.href}`);
        return { code, verifier, redirectUri: REDIRECT_URI, jar };
      }
      response = await browse(jar, next);
      continue;
    }
    const page = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (action === undefined) throw new Error(`unexpected page ${response.status} at ${response.url}`);
    const url = new URL(action.replaceAll('&amp;', '&'), response.url);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const fields: [string, string][] = url.pathname.endsWith('/login')
      ? [['csrf', csrf], ['username', username], ['password', password]]
      : [['csrf', csrf], ...[...page.matchAll(/name="scope" value="([^"]+)"/g)].map((match): [string, string] => ['scope', match[1] ?? ''])];
    response = await browse(jar, url, new URLSearchParams(fields));
  }
  throw new Error(`sign-in did not finish within ${MAX_STEPS} steps`);
}

/** Redeems a code at the token endpoint (the raw answer). */
export function redeemCode(baseUrl: string, issued: IssuedCode): Promise<FormReply> {
  return postForm(baseUrl, '/oauth2/token', {
    grant_type: 'authorization_code',
    code: issued.code,
    redirect_uri: issued.redirectUri,
    client_id: 'demo-app',
    code_verifier: issued.verifier,
  });
}

/** Signs the browser out at end_session, confirming on its page as the user would. */
export async function signOut(baseUrl: string, jar: CookieJar): Promise<Response> {
  const url = new URL('/oauth2/end_session', baseUrl);
  const page = await (await browse(jar, url)).text();
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
  if (action === undefined || xsrf === undefined) throw new Error('no sign-out form');
  return browse(jar, new URL(action, baseUrl), new URLSearchParams({ xsrf, logout: 'yes' }));
}

async function browse(jar: CookieJar, url: URL, form?: URLSearchParams): Promise<Response> {
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
  return response;
}
