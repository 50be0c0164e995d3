import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes in the PHC string format for scrypt: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`
 * (salt and hash base64url). The cost travels with the hash, so it can be raised later without
 * breaking the hashes already written into configuration files.
 */
export interface ScryptParameters {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

export interface ParsedPasswordHash extends ScryptParameters {
  salt: Buffer;
  hash: Buffer;
}

/** N = 2^15, r = 8: 32 MiB and about 50 ms per hash on one core here. */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = { logN: 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;
// Bounds keep a hostile configuration file from making every login allocate gigabytes.
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;

function derive(password: string, salt: Buffer, parameters: ScryptParameters, length: number): Promise<Buffer> {
  const N = 2 ** parameters.logN;
  const options: ScryptOptions = { N, r: parameters.r, p: parameters.p, maxmem: 256 * N * parameters.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(
  password: string,
  parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, parameters, KEY_LENGTH);
  const { logN, r, p } = parameters;
  return `$scrypt$ln=${logN},r=${r},p=${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** The parts of a hash string, or `undefined` when it is not a usable scrypt PHC string. */
export function parsePasswordHash(encoded: string): ParsedPasswordHash | undefined {
  const match = PHC.exec(encoded);
  if (match === null) return undefined;
  const [, logN, r, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const parsed: ParsedPasswordHash = {
    logN: Number(logN),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64url'),
    hash: Buffer.from(hash, 'base64url'),
  };
  const within = (value: number, [min, max]: readonly [number, number]): boolean => value >= min && value <= max;
  if (!within(parsed.logN, LIMITS.logN) || !within(parsed.r, LIMITS.r) || !within(parsed.p, LIMITS.p)) {
    return undefined;
  }
  return parsed;
}

/** Constant-time comparison of the password's derived key with the stored one. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (parsed === undefined) return false;
  const candidate = await derive(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}
