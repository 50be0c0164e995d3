import { CookieJar } from '@baton/testing';
import { createHash, randomBytes } from 'node:crypto';

/** A status, the headers that matter here, and the JSON body (or `{}` for an HTML page). */
export interface LimitAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

async function answerOf(response: Response): Promise<LimitAnswer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if ((response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body, text };
}

/** A browser at the login form of one authorization request of demo-app, which may post the form to any replica. */
export interface SignInForm {
  /** `/interaction/<uid>`: the same path at every replica (the interaction is in the shared database). */
  readonly path: string;
  /** POSTs username and password to `baseUrl` + path, with this browser's cookies and CSRF token. */
  login(baseUrl: string, username: string, password: string): Promise<LimitAnswer>;
}

/** Starts demo-app's authorization request at `issuer` (the balancer) and follows it to the login form. */
export async function openSignInForm(issuer: string): Promise<SignInForm> {
  const jar = new CookieJar();
  const authorize = new URL('/oauth2/authorize', issuer);
  authorize.search = new URLSearchParams({
    client_id: 'demo-app',
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1:4567/callback',
    scope: 'openid user.read',
    state: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const first = await fetch(authorize, { redirect: 'manual' });
  jar.store(first);
  const pageUrl = new URL(first.headers.get('location') ?? '', issuer);
  const page = await fetch(pageUrl, { headers: { cookie: jar.header(pageUrl) ?? '' } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (page.status !== 200 || csrf === undefined) throw new Error(`no login form at ${pageUrl.pathname}: ${page.status}`);
  const cookie = jar.header(pageUrl) ?? '';
  return {
    path: pageUrl.pathname,
    login: async (baseUrl, username, password) =>
      answerOf(
        await fetch(new URL(`${pageUrl.pathname}/login`, baseUrl), {
          method: 'POST',
          redirect: 'manual',
          // The page's own origin (the issuer), as the browser sends it.
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: new URL(issuer).origin },
          body: new URLSearchParams({ csrf, username, password }),
        }),
      ),
  };
}

/** A client_credentials request to `baseUrl`'s token endpoint with HTTP Basic credentials. */
export async function clientCredentials(baseUrl: string, clientId: string, secret: string): Promise<LimitAnswer> {
  return answerOf(
    await fetch(new URL('/oauth2/token', baseUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    }),
  );
}
