import { generateKeyPairSync } from 'node:crypto';
import { toPublicJwks } from './public-jwks';

describe('toPublicJwks', () => {
  it('keeps the public members, kid, alg and use, and drops every private one', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const [ecPublic, rsaPublic] = toPublicJwks([
      { ...ec, kid: 'k1', alg: 'ES256', use: 'sig' },
      { ...rsa, kid: 'k2' },
    ]);
    expect(ecPublic).toEqual({ kty: 'EC', crv: 'P-256', x: ec.x, y: ec.y, kid: 'k1', alg: 'ES256', use: 'sig' });
    expect(rsaPublic).toEqual({ kty: 'RSA', n: rsa.n, e: rsa.e, kid: 'k2' });
  });

  it('refuses a symmetric key', () => {
    expect(() => toPublicJwks([{ kty: 'oct', k: 'c2VjcmV0' }])).toThrow('a symmetric (oct) key has no public half');
  });
});
