import { EmbeddedJWK, calculateJwkThumbprint, exportJWK, jwtVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { DpopKey, accessTokenHash, dpopHtu } from './dpop-key';
import { DpopNonces } from './dpop-nonces';

describe('DpopKey', () => {
  it.each(['ES256', 'EdDSA'] as const)('%s: the thumbprint is the RFC 7638 one jose computes, the proof verifies with its own jwk', async (algorithm) => {
    const key = DpopKey.generate(algorithm);
    expect(key.thumbprint).toBe(await calculateJwkThumbprint({ ...key.publicJwk } as Parameters<typeof calculateJwkThumbprint>[0], 'sha256'));
    const proof = key.proof({ method: 'delete', url: 'HTTPS://API.Example:443/a/b?x=1#f', accessToken: 'tok', nonce: 'n' });
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [algorithm] });
    expect(payload).toMatchObject({ htm: 'DELETE', htu: 'https://api.example/a/b', ath: accessTokenHash('tok'), nonce: 'n' });
    expect(protectedHeader.jwk).toEqual(key.publicJwk);
  });

  it('matches the thumbprint of a configured key, given as JWK object, JWK text, PEM or KeyObject', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const expected = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
    const jwk = privateKey.export({ format: 'jwk' });
    for (const input of [jwk, JSON.stringify(jwk), privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), privateKey]) {
      expect(DpopKey.from(input).thumbprint).toBe(expected);
    }
  });

  it('normalises htu as RFC 3986 says: lowercase scheme and host, no default port, no query or fragment', () => {
    expect(dpopHtu('HTTP://LocalHost:80/Path?q#f')).toBe('http://localhost/Path');
    expect(dpopHtu('http://127.0.0.1:8081/api/messages')).toBe('http://127.0.0.1:8081/api/messages');
  });
});

describe('DpopNonces', () => {
  it('keeps the latest valid nonce per origin and ignores malformed ones', () => {
    const nonces = new DpopNonces();
    expect(nonces.remember('http://a.example/x', { 'dpop-nonce': 'one' })).toBe(true);
    expect(nonces.remember('http://a.example/y', { 'dpop-nonce': 'two' })).toBe(true);
    expect(nonces.remember('http://a.example/z', { 'dpop-nonce': 'has space' })).toBe(false);
    expect(nonces.remember('http://a.example/z', { 'dpop-nonce': 'quote"d' })).toBe(false);
    expect(nonces.remember('http://a.example/z', {})).toBe(false);
    expect(nonces.get('http://a.example/other')).toBe('two');
    expect(nonces.get('http://b.example/')).toBeUndefined();
  });
});
