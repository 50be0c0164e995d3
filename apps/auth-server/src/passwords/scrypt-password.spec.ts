import { hashPassword, parsePasswordHash, verifyPassword } from './scrypt-password';

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

  it('uses N = 2^15, r = 8, p = 1 by default', async () => {
    expect(await hashPassword('x')).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
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
