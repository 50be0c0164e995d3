import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { formatSpread, spread } from '../lib/stats.mts';
import type { Settings } from '../lib/settings.mts';

/**
 * The cost of the one extra thing an exchange does: verifying the subject token's ES256
 * signature. In-process, single-threaded, so it shows the per-request CPU of each approach.
 */
export async function runVerifyBench(settings: Settings): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' };
  const token = await new SignJWT({ sub: 'alice', aud: 'user-service', scope: 'message.read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
    .setIssuer('http://localhost:9001')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const input = Buffer.from(`${header}.${payload}`);
  const signatureBytes = Buffer.from(signature, 'base64url');
  const cachedJoseKey = await importJWK(publicJwk, 'ES256');

  const approaches: { label: string; verifyOnce: () => unknown }[] = [
    {
      label: 'node:crypto, KeyObject cached (Baton)',
      verifyOnce: () => nodeVerify(publicKey, input, signatureBytes),
    },
    {
      label: 'node:crypto, key imported per request',
      verifyOnce: () => nodeVerify(createPublicKey({ key: publicJwk, format: 'jwk' }), input, signatureBytes),
    },
    { label: 'jose jwtVerify, key cached', verifyOnce: () => jwtVerify(token, cachedJoseKey) },
    { label: 'jose jwtVerify, key imported per request', verifyOnce: async () => jwtVerify(token, await importJWK(publicJwk, 'ES256')) },
  ];
  if (!nodeVerify(publicKey, input, signatureBytes)) throw new Error('the benchmark token does not verify');
  if (sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }).length !== 64) throw new Error('unexpected signature size');

  process.stdout.write(`\nES256 subject-token verification, in process (${settings.rounds} rounds of 1 s each):\n`);
  process.stdout.write('| approach | µs per verification min / median / max |\n| --- | --- |\n');
  for (const approach of approaches) {
    await measure(approach.verifyOnce, 200); // warm-up
    const micros: number[] = [];
    for (let round = 0; round < settings.rounds; round += 1) micros.push(await measure(approach.verifyOnce, 1_000));
    process.stdout.write(`| ${approach.label} | ${formatSpread(spread(micros), 1)} |\n`);
  }
}

function nodeVerify(key: KeyObject, input: Buffer, signature: Buffer): boolean {
  return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** Mean µs per call over about `millis` milliseconds. */
async function measure(once: () => unknown, millis: number): Promise<number> {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(millis) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let batch = 0; batch < 50; batch += 1) await once();
    calls += 50;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / 1_000 / calls;
}
