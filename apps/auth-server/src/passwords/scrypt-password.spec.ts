import { scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonestParameters, DEFAULT_SCRYPT_PARAMETERS, hashPassword, parsePasswordHash, scryptMemoryBytes, verifyPassword } from './scrypt-password';

const DEMO_FILE = join(__dirname, '..', '..', 'config', 'demo.yaml');
const MIB = 1024 * 1024;

// A hash at the default cost takes 200 ms on an idle core and seconds on a loaded machine.
jest.setTimeout(60_000);

const FAST = { logN: 10, r: 8, p: 1 };

describe('scrypt password hashes', () => {
  it('verifies the password it hashed and nothing else', async () => {
    const hash = await hashPassword('alice-password', FAST);
    expect(hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword('alice-password', hash)).resolves.toBe(true);
    await expect(verifyPassword('alice-passworD', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('same', FAST)).not.toBe(await hashPassword('same', FAST));
  });

  it('[H15] hashes new passwords at OWASP\'s scrypt minimum by default (N = 2^17, r = 8, p = 1), with the memory that needs', async () => {
    expect(DEFAULT_SCRYPT_PARAMETERS).toEqual({ logN: 17, r: 8, p: 1 });
    // node:crypto's own maxmem default (32 MiB) would refuse this cost: the hash below proves maxmem is raised.
    expect(scryptMemoryBytes(DEFAULT_SCRYPT_PARAMETERS)).toBeGreaterThan(128 * MIB);
    expect(scryptMemoryBytes(DEFAULT_SCRYPT_PARAMETERS)).toBeLessThan(129 * MIB);
    // The bound is exact: node:crypto refuses one byte less.
    expect(() =>
      scryptSync('x', 'salt', 32, { N: 2 ** 17, r: 8, p: 1, maxmem: scryptMemoryBytes(DEFAULT_SCRYPT_PARAMETERS) - 1 }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CRYPTO_INVALID_SCRYPT_PARAMS' }));
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
    await expect(verifyPassword('correct horse battery staple', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapler', hash)).resolves.toBe(false);
  });

  it('[H15] still verifies the hashes written at the old default (the demo file\'s ln=15)', async () => {
    const demoHashes = [...readFileSync(DEMO_FILE, 'utf8').matchAll(/- username: (\w+)\n\s+passwordHash: "([^"]+)"/g)].map(
      ([, username, hash]) => [username, hash] as const,
    );
    expect(demoHashes.map(([username]) => username)).toEqual(['alice', 'bob']);
    for (const [username, hash] of demoHashes) {
      expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
      await expect(verifyPassword(`${username}-password`, hash ?? '')).resolves.toBe(true);
      await expect(verifyPassword('guess', hash ?? '')).resolves.toBe(false);
    }
  });

  it('gives the decoy cost of the users\' hashes: the commonest, or the default when there are none', () => {
    const at = (logN: number) => `$scrypt$ln=${logN},r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    expect(commonestParameters([at(15), at(17), at(15)])).toEqual({ logN: 15, r: 8, p: 1 });
    expect(commonestParameters([at(17)])).toEqual({ logN: 17, r: 8, p: 1 });
    expect(commonestParameters([])).toEqual(DEFAULT_SCRYPT_PARAMETERS);
    expect(commonestParameters(['not a hash'])).toEqual(DEFAULT_SCRYPT_PARAMETERS);
  });

  it('refuses malformed hashes and costs outside the limits', async () => {
    for (const bad of ['', 'plain-text', '$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA', '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      expect(parsePasswordHash(bad)).toBeUndefined();
      await expect(verifyPassword('x', bad)).resolves.toBe(false);
    }
  });

  it('normalises Unicode so the same text typed differently matches', async () => {
    const hash = await hashPassword('caf\u00e9', FAST);
    await expect(verifyPassword('cafe\u0301', hash)).resolves.toBe(true);
  });
});
