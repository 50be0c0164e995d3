import type { Parameters } from 'fast-check';

const DEFAULT_SEED = 20261126;

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * fast-check parameters: seeded and bounded so `npm test` is deterministic and quick; `npm run fuzz`
 * sets FUZZ_RUNS (and may set FUZZ_SEED) for a longer run. A failure prints the seed and the path
 * that replay it: `FUZZ_SEED=<seed> npx nx test security-e2e --testPathPatterns=fuzz`.
 */
export function fuzzParameters<T>(defaultRuns: number): Parameters<T> {
  const runs = positiveInteger(process.env['FUZZ_RUNS']) ?? defaultRuns;
  const seed = positiveInteger(process.env['FUZZ_SEED']) ?? DEFAULT_SEED;
  return { numRuns: runs, seed, endOnFailure: true };
}

/** Jest timeout for a property of `defaultRuns` runs at about `msPerRun` each. */
export function fuzzTimeout(defaultRuns: number, msPerRun = 40): number {
  const runs = positiveInteger(process.env['FUZZ_RUNS']) ?? defaultRuns;
  return 30_000 + runs * msPerRun;
}
