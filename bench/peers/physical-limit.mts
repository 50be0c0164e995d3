import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { spread, type Spread } from '../lib/stats.mts';

/** CPU µs of one operation, min / median / max over rounds. */
export interface PhysicalLimit {
  signMicros: Spread;
  verifyMicros: Spread;
  /** One verify + one sign, per round. */
  exchangeMicros: Spread;
}

/**
 * The physical limit per request (issue 15): what one ES256 signature and one ES256 verification
 * cost in process with `node:crypto` and ready `KeyObject`s, on a token like the ones exchanged
 * (same header and claims). Timed in this process's CPU time, so work elsewhere on the machine
 * hardly moves it; each round runs `iterations` of each after a warm-up.
 */
export function measurePhysicalLimit(rounds: number, iterations = 2_000): PhysicalLimit {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = createPublicKey(privateKey);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: randomBytes(32).toString('base64url') })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    act: { sub: 'user-service' },
    jti: randomBytes(32).toString('base64url'),
    sub: 'user-service',
    iat: now,
    exp: now + 300,
    scope: 'message.read message.write',
    client_id: 'user-service',
    iss: 'http://127.0.0.1:40000',
    aud: 'message-service',
  };
  const input = Buffer.from(`${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`);
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });

  const cpuMicrosPer = (operation: () => void): number => {
    const start = process.cpuUsage();
    for (let index = 0; index < iterations; index += 1) operation();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / iterations;
  };
  const signOnce = (): void => void sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const verifyOnce = (): void => {
    if (!verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('ES256 verification failed');
  };
  cpuMicrosPer(signOnce);
  cpuMicrosPer(verifyOnce);
  const signs: number[] = [];
  const verifies: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    signs.push(cpuMicrosPer(signOnce));
    verifies.push(cpuMicrosPer(verifyOnce));
  }
  return {
    signMicros: spread(signs),
    verifyMicros: spread(verifies),
    exchangeMicros: spread(signs.map((value, index) => value + (verifies[index] ?? 0))),
  };
}
