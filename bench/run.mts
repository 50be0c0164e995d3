/**
 * `npm run bench [-- <suite>...]`: runs the benchmark suites (each `bench/<suite>/index.mts`
 * exporting `name` and `run(settings)`) against built apps on loopback, then exits.
 * Settings: BENCH_ROUNDS (3), BENCH_DURATION (5 s), BENCH_WARMUP (2 s), BENCH_CONNECTIONS (10);
 * the auth-server suite also BENCH_SIGNING_ALG (ES256); the peers suite runs at least 5 rounds, and
 * BENCH_PEERS_BASELINE (an earlier build's dist/apps) adds that build's auth server to its rounds.
 * BENCH_APPS_DIR: measure the built apps of another folder than dist/apps (e.g. an earlier build).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { positiveIntegerSetting as positive } from './lib/env.mts';
import { workspaceRoot } from './lib/server.mts';
import type { Settings } from './lib/settings.mts';

interface Suite {
  name: string;
  run(settings: Settings): Promise<void>;
}


const settings: Settings = {
  rounds: Math.max(3, positive('BENCH_ROUNDS', 3)),
  durationSeconds: positive('BENCH_DURATION', 5),
  warmupSeconds: positive('BENCH_WARMUP', 2),
  connections: positive('BENCH_CONNECTIONS', 10),
};

const benchDir = join(workspaceRoot, 'bench');
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(benchDir, entry.name, 'index.mts')))
  .map((entry) => entry.name)
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((suite) => !available.includes(suite));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}

for (const directory of wanted.length > 0 ? wanted : available) {
  const suite = (await import(join(benchDir, directory, 'index.mts'))) as Suite;
  process.stdout.write(`\n== ${suite.name} ==\n`);
  await suite.run(settings);
}
// The grant's hand-written JWS verification against jose's jwtVerify (issue 13: it stays only while it wins).
if (wanted.length === 0 || wanted.includes('auth-server')) await (await import('./auth-server/jws-verify.bench.mts')).runJwsVerifyBench(settings);
