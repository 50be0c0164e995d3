import { createHash } from 'node:crypto';

/** The stored form of a limit's key (a username, an address, a client id): its SHA-256, 32 bytes. */
export function keyDigest(key: string | number): Buffer {
  return createHash('sha256').update(String(key)).digest();
}
