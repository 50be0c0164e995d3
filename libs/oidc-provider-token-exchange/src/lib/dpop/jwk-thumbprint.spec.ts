import { calculateJwkThumbprint } from 'jose';
import { testDpopKey } from '../../testing';
import { jwkThumbprint } from './jwk-thumbprint';

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives the RFC 7638 §3.1 example thumbprint', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each(['ES256', 'ES384', 'EdDSA', 'PS256'] as const)('agrees with jose for a %s key, whatever other members it carries', async (alg) => {
    const { publicJwk } = testDpopKey(alg);
    const expected = await calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
    expect(jwkThumbprint({ ...publicJwk, use: 'sig', kid: 'x' })).toBe(expected);
  });

  it.each([
    ['no kty', { crv: 'P-256', x: 'a', y: 'b' }],
    ['an unknown kty', { kty: 'oct', k: 'secret' }],
    ['a kty named after an Object.prototype member', { kty: 'constructor', x: 'a' }],
    ['a kty of __proto__', { kty: '__proto__', x: 'a' }],
    ['a missing member', { kty: 'EC', crv: 'P-256', x: 'a' }],
    ['a member that is not a string', { kty: 'OKP', crv: 'Ed25519', x: 42 }],
  ])('has none for a jwk with %s', (_case, jwk) => {
    expect(jwkThumbprint(jwk)).toBeUndefined();
  });
});
