import type { TestKey } from './test-keys.fixture';

export interface SignOptions {
  key: TestKey;
  claims: Record<string, unknown>;
  header?: Record<string, unknown>;
}

/**
 * Signs a JWT with jose, an implementation independent of the verifier under test. The header
 * defaults to what the auth server writes: `alg`, `kid`, `typ: at+jwt`.
 */
export async function signAccessToken({ key, claims, header }: SignOptions): Promise<string> {
  const { SignJWT } = await import('jose');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header } as { alg: string })
    .sign(key.privateKey);
}

/** Claims of a token the auth server would issue to user-service for alice, valid for an hour. */
export function aliceClaims(issuer: string, now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: issuer,
    sub: 'alice',
    aud: 'user-service',
    client_id: 'demo-app',
    scope: 'openid user.read message.read message.write',
    iat: now,
    exp: now + 3600,
    jti: 'subject-jti-1',
    ...overrides,
  };
}
