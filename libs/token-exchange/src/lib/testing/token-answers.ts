import { TokenTypeUri } from '../token-exchange.constants';
import { RecordedRequest, StubAnswer } from './http-stub';

/**
 * A JWT-shaped access token, unsigned: enough for code that only passes a token on (the client
 * reads its `exp` and never verifies it). Not for testing a resource server.
 */
export function unsignedAccessToken(claims: { sub: string; exp?: number; jti?: string; scope?: string; aud?: string }): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'ES256', typ: 'at+jwt' })}.${encode({ aud: 'user-service', ...claims })}.c2lnbmF0dXJl`;
}

/**
 * A successful RFC 8693 answer whose token names the request number (`exchanged-1`,
 * `exchanged-2`...), so tests tell them apart. `token_type` is `DPoP` when the request carried a
 * DPoP proof (as a server that binds tokens answers), else `Bearer`. `overrides` replace or (with
 * `undefined`) remove fields.
 */
export function grantedAnswer(
  request: RecordedRequest,
  index: number,
  overrides: Record<string, unknown> = {},
): StubAnswer {
  return {
    status: 200,
    headers: { 'Cache-Control': 'no-store' },
    body: {
      access_token: `exchanged-${index + 1}`,
      issued_token_type: TokenTypeUri.accessToken,
      token_type: request.headers['dpop'] === undefined ? 'Bearer' : 'DPoP',
      expires_in: 300,
      scope: request.form.get('scope') ?? 'message.read message.write',
      ...overrides,
    },
  };
}

/** An OAuth error answer (RFC 6749 §5.2): `{ error, error_description? }`. */
export function oauthError(status: number, error: string, description?: string): StubAnswer {
  return { status, body: { error, ...(description ? { error_description: description } : {}) } };
}
