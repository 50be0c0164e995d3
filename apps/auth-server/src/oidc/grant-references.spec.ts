import { GrantReferences } from './grant-references';

const SECRET = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const GRANT_ID = 'grant-id-0123456789abcdefghijklmnopqrstuvwxyzABCD';

describe('GrantReferences', () => {
  it('seals a grant id so that it does not show, and opens it again', () => {
    const references = new GrantReferences([SECRET]);
    const sealed = references.seal(GRANT_ID);
    expect(sealed).not.toContain(GRANT_ID);
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain(GRANT_ID);
    expect(references.open(sealed)).toBe(GRANT_ID);
    // A fresh IV each time: two tokens of one grant cannot be linked by their reference.
    expect(references.seal(GRANT_ID)).not.toBe(sealed);
  });

  it('opens references sealed under an older secret after a rotation, not under a foreign one', () => {
    const old = new GrantReferences([SECRET]).seal(GRANT_ID);
    expect(new GrantReferences([OTHER, SECRET]).open(old)).toBe(GRANT_ID);
    expect(new GrantReferences([OTHER]).open(old)).toBeUndefined();
  });

  it('refuses a tampered or truncated reference', () => {
    const references = new GrantReferences([SECRET]);
    const bytes = Buffer.from(references.seal(GRANT_ID), 'base64url');
    bytes[14] = (bytes[14] ?? 0) ^ 1;
    expect(references.open(bytes.toString('base64url'))).toBeUndefined();
    expect(references.open('')).toBeUndefined();
    expect(references.open('AAAA')).toBeUndefined();
  });
});
