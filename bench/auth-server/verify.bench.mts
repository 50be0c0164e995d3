import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { workspaceRoot } from '../lib/server.mts';
import { formatSpread, spread } from '../lib/stats.mts';
import type { Settings } from '../lib/settings.mts';

/**
 * The grant's signature check from the BUILT package (`nx build auth-server` builds it): the
 * package's sources are CommonJS TypeScript, which Node's type stripping cannot import by name.
 */
const { verifyJwsSignature } = createRequire(import.meta.url)(
  join(workspaceRoot, 'dist', 'libs', 'oidc-provider-token-exchange', 'src', 'lib', 'verification', 'jws-signature.js'),
) as { verifyJwsSignature(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean };

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
      label: 'Baton: node:crypto, KeyObject cached, r‖s to DER in JS',
      verifyOnce: () => verifyJwsSignature('ES256', publicKey, input, signatureBytes),
    },
    {
      label: "node:crypto, KeyObject cached, dsaEncoding 'ieee-p1363'",
      verifyOnce: () => nodeVerify(publicKey, input, signatureBytes),
    },
    {
      label: 'node:crypto, key imported per request',
      verifyOnce: () => nodeVerify(createPublicKey({ key: publicJwk, format: 'jwk' }), input, signatureBytes),
    },
    { label: 'jose jwtVerify, key cached', verifyOnce: () => jwtVerify(token, cachedJoseKey) },
    { label: 'jose jwtVerify, key imported per request', verifyOnce: async () => jwtVerify(token, await importJWK(publicJwk, 'ES256')) },
  ];
  if (!nodeVerify(publicKey, input, signatureBytes) || !verifyJwsSignature('ES256', publicKey, input, signatureBytes)) {
    throw new Error('the benchmark token does not verify');
  }
  if (sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }).length !== 64) throw new Error('unexpected signature size');

  process.stdout.write(`\nES256 subject-token verification, in process (${settings.rounds} rounds of 1 s each, approaches interleaved):\n`);
  process.stdout.write('| approach | CPU µs per verification min / median / max |\n| --- | --- |\n');
  const micros = approaches.map(() => [] as number[]);
  for (const approach of approaches) await measure(approach.verifyOnce, 200); // warm-up
  for (let round = 0; round < settings.rounds; round += 1) {
    for (const [index, approach] of approaches.entries()) micros[index]?.push(await measure(approach.verifyOnce, 1_000));
  }
  for (const [index, approach] of approaches.entries()) {
    process.stdout.write(`| ${approach.label} | ${formatSpread(spread(micros[index] ?? []), 1)} |\n`);
  }
}

function nodeVerify(key: KeyObject, input: Buffer, signature: Buffer): boolean {
  return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/**
 * Mean CPU µs per call (this process, all threads: WebCrypto works on the thread pool) over about
 * `millis` milliseconds of wall time. CPU time rather than wall time: other work on a shared
 * machine stretches the latter.
 */
async function measure(once: () => unknown, millis: number): Promise<number> {
  let calls = 0;
  const deadline = process.hrtime.bigint() + BigInt(millis) * 1_000_000n;
  const cpu = process.cpuUsage();
  while (process.hrtime.bigint() < deadline) {
    for (let batch = 0; batch < 50; batch += 1) await once();
    calls += 50;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / calls;
}
