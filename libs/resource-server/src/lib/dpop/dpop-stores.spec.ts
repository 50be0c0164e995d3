import { calculateJwkThumbprint } from 'jose';
import { generateDpopKey } from '../testing/dpop-proof-forge';
import { HmacDpopNonces } from './dpop-nonces';
import { DpopReplayStoreFullError, InMemoryDpopReplayStore } from './dpop-replay-store';
import { jwkThumbprint } from './jwk-thumbprint';

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives the thumbprint of the RFC 7638 §3.1 example', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it("agrees with jose's for EC and OKP keys, and refuses what it cannot hash", async () => {
    for (const alg of ['ES256', 'ES384', 'EdDSA'] as const) {
      const { publicJwk } = generateDpopKey(alg);
      expect(jwkThumbprint(publicJwk)).toBe(await calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]));
    }
    expect(jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'constructor' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 1, y: 'a' })).toBeUndefined();
  });
});

describe('InMemoryDpopReplayStore', () => {
  it('answers true once per key until it expires, then forgets it', () => {
    let now = 1_000_000;
    const store = new InMemoryDpopReplayStore(10, () => now);
    expect(store.claim('a', now + 5_000)).toBe(true);
    expect(store.claim('a', now + 5_000)).toBe(false);
    now += 5_000;
    expect(store.claim('a', now + 5_000)).toBe(true);
  });

  it('is bounded: when full of live records it refuses rather than forget one; expired ones make room', () => {
    let now = 1_000_000;
    const store = new InMemoryDpopReplayStore(3, () => now);
    for (const key of ['a', 'b', 'c']) expect(store.claim(key, now + 60_000)).toBe(true);
    expect(() => store.claim('d', now + 60_000)).toThrow(DpopReplayStoreFullError);
    expect(store.claim('a', now + 60_000)).toBe(false);
    now += 60_000;
    expect(store.claim('d', now + 60_000)).toBe(true);
    expect(store.size).toBe(1);
  });
});

describe('HmacDpopNonces', () => {
  it('accepts its nonce for one more lifetime, then not; replicas with one secret agree', () => {
    let now = 1_700_000_000_000;
    const nonces = new HmacDpopNonces('secret', 300, () => now);
    const replica = new HmacDpopNonces('secret', 300, () => now);
    const nonce = nonces.current();
    expect(replica.isValid(nonce)).toBe(true);
    expect(new HmacDpopNonces('other', 300, () => now).isValid(nonce)).toBe(false);
    now += 300_000;
    expect(nonces.isValid(nonce)).toBe(true);
    expect(nonces.current()).not.toBe(nonce);
    now += 300_000;
    expect(nonces.isValid(nonce)).toBe(false);
  });

  it('refuses anything it did not make', () => {
    const nonces = new HmacDpopNonces(undefined);
    const nonce = nonces.current();
    expect(nonces.isValid(`${nonce}A`)).toBe(false);
    expect(nonces.isValid(`${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(nonces.isValid('')).toBe(false);
  });
});
