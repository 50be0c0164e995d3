import { decodeAccessToken, scopesOf, tokenFingerprint } from './decoded-token';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('decodeAccessToken', () => {
  it('reads the header and claims and names the token by a hash prefix only', () => {
    const jwt = `${encode({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })}.${encode({ sub: 'alice', scope: 'a b' })}.signature`;
    const decoded = decodeAccessToken(jwt);
    expect(decoded.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    expect(decoded.claims.sub).toBe('alice');
    expect(scopesOf(decoded.claims)).toEqual(['a', 'b']);
    expect(decoded.fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(decoded.fingerprint).toBe(tokenFingerprint(jwt));
    expect(decoded.fingerprint).not.toContain(jwt.slice(0, 12));
  });

  it.each([
    ['an opaque token', 'opaque-token-value', 'not a JWT (expected three dot-separated parts)'],
    ['a header that is not JSON', `bm90IGpzb24.${encode({})}.s`, 'not a JWT (its header is not a base64url JSON object)'],
    ['a payload that is an array', `${encode({})}.${encode([1])}.s`, 'not a JWT (its payload is not a base64url JSON object)'],
  ])('refuses %s', (_case, token, message) => {
    expect(() => decodeAccessToken(token)).toThrow(message);
  });

  it('has no scopes when the claim is absent', () => {
    expect(scopesOf({})).toEqual([]);
  });
});
