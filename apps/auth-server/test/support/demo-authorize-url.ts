import { createHash } from 'node:crypto';

/** The PKCE verifier behind the demo authorization requests of these tests. */
export const DEMO_CODE_VERIFIER = 'verifier-'.padEnd(50, 'x');

/**
 * An authorization request of demo-app (code + PKCE S256, loopback redirect, `openid user.read`),
 * with `parameters` added or overriding (an empty string is sent as an empty parameter).
 */
export function demoAuthorizeUrl(baseUrl: string, parameters: Record<string, string> = {}): URL {
  const url = new URL(`${baseUrl}/oauth2/authorize`);
  url.search = new URLSearchParams({
    client_id: 'demo-app',
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1:4567/callback',
    scope: 'openid user.read',
    state: 'state-1',
    code_challenge: createHash('sha256').update(DEMO_CODE_VERIFIER).digest('base64url'),
    code_challenge_method: 'S256',
    ...parameters,
  }).toString();
  return url;
}
