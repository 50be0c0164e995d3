import { CookieJar } from '@baton/testing';
import { demoAuthorizeUrl } from '../../support/demo-authorize-url';

/** A browser at the login page of a fresh authorization request of demo-app. */
export interface SignInPage {
  readonly url: URL;
  readonly jar: CookieJar;
  readonly csrf: string;
  /** The Set-Cookie headers the browser got on the way. */
  readonly setCookies: string[];
  readonly headers: Headers;
  readonly html: string;
  /** POSTs a form of this page (`login`, `confirm`, `abort`) as the browser would, with extra headers. */
  post(action: 'login' | 'confirm' | 'abort', fields: [string, string][], headers?: Record<string, string>): Promise<Response>;
}

/**
 * Starts an authorization request (authorization code + PKCE for demo-app) and follows it to the
 * login page, keeping cookies. `headers` go with every request (e.g. `x-forwarded-proto`).
 */
export async function openSignInPage(baseUrl: string, headers: Record<string, string> = {}): Promise<SignInPage> {
  const jar = new CookieJar();
  const setCookies: string[] = [];
  const authorize = demoAuthorizeUrl(baseUrl);
  const first = await fetch(authorize, { redirect: 'manual', headers });
  jar.store(first);
  setCookies.push(...first.headers.getSetCookie());
  const url = new URL(first.headers.get('location') ?? '', baseUrl);
  const page = await fetch(url, { headers: { ...headers, cookie: jar.header(url) ?? '' } });
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return {
    url,
    jar,
    csrf,
    setCookies,
    headers: page.headers,
    html,
    post: async (action, fields, extra = {}) => {
      const response = await fetch(`${url.href}/${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(url) ?? '', ...extra },
        body: new URLSearchParams(fields),
      });
      jar.store(response);
      setCookies.push(...response.headers.getSetCookie());
      return response;
    },
  };
}
