import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { ecdsaSignatureToDer, verifyJwsSignature } from './jws-signature';

const curves: { alg: string; curve: string; digest: string; partSize: number }[] = [
  { alg: 'ES256', curve: 'P-256', digest: 'sha256', partSize: 32 },
  { alg: 'ES384', curve: 'P-384', digest: 'sha384', partSize: 48 },
  { alg: 'ES512', curve: 'P-521', digest: 'sha512', partSize: 66 },
];
const keys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>(
  curves.map(({ alg, curve }) => [alg, generateKeyPairSync('ec', { namedCurve: curve })]),
);

describe('ECDSA JWS signatures', () => {
  it.each(curves)('verifies $alg signatures of any message (DER built here from r ‖ s)', ({ alg, digest }) => {
    const { privateKey, publicKey } = keys.get(alg) as { privateKey: KeyObject; publicKey: KeyObject };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        const message = Buffer.from(bytes);
        const signature = sign(digest, message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        expect(verifyJwsSignature(alg, publicKey, message, signature)).toBe(true);
        const tampered = Buffer.concat([message, Buffer.from([1])]);
        expect(verifyJwsSignature(alg, publicKey, tampered, signature)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('encodes r and s as minimal DER integers, padding a set top bit', () => {
    const r = Buffer.alloc(32);
    r[31] = 0x7f;
    const s = Buffer.alloc(32, 0xff);
    // SEQUENCE(38) { INTEGER(1) 7f, INTEGER(33) 00 ff…ff }
    expect(ecdsaSignatureToDer(Buffer.concat([r, s]), 32)?.toString('hex')).toBe(`3026${'02017f'}${'022100'}${'ff'.repeat(32)}`);
  });

  it('uses the long length form for P-521 sized signatures', () => {
    const der = ecdsaSignatureToDer(Buffer.alloc(132, 0xff), 66) as Buffer;
    expect([...der.subarray(0, 3)]).toEqual([0x30, 0x81, 2 * (2 + 1 + 66)]);
  });

  it('refuses signatures of the wrong length instead of guessing', () => {
    const { publicKey } = keys.get('ES256') as { publicKey: KeyObject };
    expect(ecdsaSignatureToDer(Buffer.alloc(63), 32)).toBeUndefined();
    expect(verifyJwsSignature('ES256', publicKey, Buffer.from('m'), Buffer.alloc(65))).toBe(false);
    expect(verifyJwsSignature('ES256', publicKey, Buffer.from('m'), Buffer.alloc(64))).toBe(false);
  });
});
