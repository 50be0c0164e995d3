/**
 * Does the grant's hand-written JWS verification still buy speed (issue 13)? Side by side, in
 * process: the package's `AccessTokenVerifier.verify()` (node:crypto, KeyObject cached per `kid`,
 * ECDSA r‖s turned into DER in JS) against jose's `jwtVerify` given the same cached KeyObject and
 * the same rules (issuer, `typ: at+jwt`, pinned algorithms, required `exp`/`sub`/`aud`). CPU µs per
 * verification (this process, every thread: jose works through WebCrypto), min / median / max of
 * at least 5 rounds, approaches interleaved, and the ratio jose / hand-written per round.
 *
 * Reads the BUILT package (`dist/libs/oidc-provider-token-exchange`, made by `nx build
 * auth-server` in `npm run bench`). Alone:
 *   npx nx build oidc-provider-token-exchange && node bench/auth-server/jws-verify.bench.mts
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jwtVerify, SignJWT } from 'jose';
import { formatSpread, spread } from '../lib/stats.mts';
import type { Settings } from '../lib/settings.mts';

interface VerifiedLike {
  sub: string;
}
interface PackageApi {
  AccessTokenVerifier: new (options: { issuer: string; keys: unknown }) => { verify(token: string, name: string): VerifiedLike };
  VerificationKeys: new (source: () => readonly Record<string, unknown>[]) => { find(kid: string): { key: KeyObject } | undefined };
}

const ISSUER = 'http://localhost:9001';
const ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];
const workspaceRoot = join(import.meta.dirname, '..', '..');

export async function runJwsVerifyBench(settings: Pick<Settings, 'rounds'>): Promise<void> {
  const built = join(workspaceRoot, 'dist', 'libs', 'oidc-provider-token-exchange', 'src', 'index.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run npx nx build oidc-provider-token-exchange first`);
  const api = createRequire(import.meta.url)(built) as PackageApi;
  const rounds = Math.max(5, settings.rounds);

  process.stdout.write(
    `\nSubject-token verification, hand-written (the package's AccessTokenVerifier) vs jose jwtVerify with a cached KeyObject, ` +
      `in process (${rounds} rounds of 1 s per approach, interleaved):\n`,
  );
  process.stdout.write(
    '| alg | hand-written CPU µs min / median / max | jose jwtVerify CPU µs min / median / max | ratio jose / hand-written min / median / max |\n' +
      '| --- | --- | --- | --- |\n',
  );
  for (const alg of ALGORITHMS) {
    const { handWritten, jose } = await contestants(api, alg);
    for (let warm = 0; warm < 2; warm += 1) {
      await measure(handWritten, 200);
      await measure(jose, 200);
    }
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      mine.push(await measure(handWritten, 1_000));
      theirs.push(await measure(jose, 1_000));
    }
    const ratios = theirs.map((value, index) => value / (mine[index] ?? Number.NaN));
    process.stdout.write(
      `| ${alg} | ${formatSpread(spread(mine), 1)} | ${formatSpread(spread(theirs), 1)} | ${formatSpread(spread(ratios), 2)} |\n`,
    );
  }
}

/** Both verifiers over one token signed with a fresh key of `alg`, checked to agree first. */
async function contestants(api: PackageApi, alg: Algorithm): Promise<{ handWritten: () => unknown; jose: () => Promise<unknown> }> {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwks = [{ ...pair.publicKey.export({ format: 'jwk' }), kid: 'k1', alg, use: 'sig' }];
  const token = await new SignJWT({ sub: 'alice', aud: 'user-service', client_id: 'demo-app', scope: 'message.read message.write', jti: 'j1' })
    .setProtectedHeader({ alg, kid: 'k1', typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(pair.privateKey);

  const keys = new api.VerificationKeys(() => publicJwks);
  const verifier = new api.AccessTokenVerifier({ issuer: ISSUER, keys });
  // The same cached KeyObject for jose (it converts it to a CryptoKey once and caches that too).
  const keyFor = (header: { kid?: string }): KeyObject => {
    const found = header.kid === undefined ? undefined : keys.find(header.kid);
    if (found === undefined) throw new Error('unknown kid');
    return found.key;
  };
  const options = { issuer: ISSUER, typ: 'at+jwt', algorithms: [alg], requiredClaims: ['exp', 'sub', 'aud'] };

  const handWritten = (): unknown => verifier.verify(token, 'subject_token');
  const jose = async (): Promise<unknown> => jwtVerify(token, keyFor, options);
  const [a, b] = [handWritten() as VerifiedLike, (await jose()) as { payload: { sub?: string } }];
  if (a.sub !== 'alice' || b.payload.sub !== 'alice') throw new Error(`the ${alg} benchmark token does not verify with both`);
  return { handWritten, jose };
}

/**
 * Mean CPU µs per call over about `millis` ms of wall time. CPU rather than wall time: other work
 * on a shared machine stretches the latter.
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runJwsVerifyBench({ rounds: Number(process.env['BENCH_ROUNDS'] ?? 5) || 5 });
}
