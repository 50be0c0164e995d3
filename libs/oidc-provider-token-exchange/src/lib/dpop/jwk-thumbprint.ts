import { createHash } from 'node:crypto';

/** The members RFC 7638 §3.2 hashes, per key type, in the lexicographic order the JSON must have. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK (base64url), computed here from the key itself
 * rather than taken from anyone: it is what `cnf.jkt` binds a token to (RFC 9449 §6.1).
 * `undefined` for a key type it does not know or a required member that is not a string.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const kty = jwk['kty'];
  // Own keys only: `constructor`, `toString` or `__proto__` as a kty must not reach Object.prototype.
  if (typeof kty !== 'string' || !Object.hasOwn(REQUIRED_MEMBERS, kty)) return undefined;
  const members = REQUIRED_MEMBERS[kty];
  if (members === undefined) return undefined;
  const canonical: Record<string, string> = {};
  for (const member of members) {
    const value = jwk[member];
    if (typeof value !== 'string' || value === '') return undefined;
    canonical[member] = value;
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}
