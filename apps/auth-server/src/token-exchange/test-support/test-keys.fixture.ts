import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import type { PublicJwk } from '../verification-keys';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

/** A fresh signing key pair for tests, in the shape the JWKS publishes its public half. */
export function testKey(alg: 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA' = 'ES256', kid: string = randomUUID()): TestKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'ES384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : alg === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk: PublicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, publicJwk };
}
