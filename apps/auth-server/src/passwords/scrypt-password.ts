import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes in the PHC string format for scrypt: `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`
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

/**
 * The cost of new hashes: N = 2^17, r = 8, p = 1, OWASP's minimum for scrypt (Password Storage
 * Cheat Sheet). 128 MiB and about 200–400 ms per hash on one core here. Hashes written at an
 * older cost (the demo file's ln=15) still verify: the cost travels with each hash.
 */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = { logN: 17, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;
// Bounds keep a hostile configuration file from making every login allocate gigabytes.
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;

/**
 * The memory scrypt needs, which `maxmem` must allow (node:crypto's default, 32 MiB, refuses
 * N = 2^17): OpenSSL allocates 128·r·(N + 2) bytes for V and 128·r·p for B. 128 MiB + 3 KiB for
 * the default cost; the hash-string limits below bound it (ln ≤ 20, r ≤ 32: 4 GiB).
 */
export function scryptMemoryBytes({ logN, r, p }: ScryptParameters): number {
  return 128 * r * (2 ** logN + 2) + 128 * r * p;
}

function derive(password: string, salt: Buffer, parameters: ScryptParameters, length: number): Promise<Buffer> {
  const N = 2 ** parameters.logN;
  const options: ScryptOptions = { N, r: parameters.r, p: parameters.p, maxmem: scryptMemoryBytes(parameters) };
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

/**
 * The cost most of `hashes` were made with (the default when there are none): what a decoy hash for
 * unknown usernames must cost, so that verifying against it takes as long as for a real user.
 */
export function commonestParameters(hashes: readonly string[]): ScryptParameters {
  const counts = new Map<string, { parameters: ScryptParameters; count: number }>();
  for (const encoded of hashes) {
    const parsed = parsePasswordHash(encoded);
    if (parsed === undefined) continue;
    const key = `${parsed.logN},${parsed.r},${parsed.p}`;
    const entry = counts.get(key) ?? { parameters: { logN: parsed.logN, r: parsed.r, p: parsed.p }, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  let commonest: { parameters: ScryptParameters; count: number } | undefined;
  for (const entry of counts.values()) if (commonest === undefined || entry.count > commonest.count) commonest = entry;
  return commonest?.parameters ?? DEFAULT_SCRYPT_PARAMETERS;
}
