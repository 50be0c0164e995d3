import type { Settings } from '../lib/settings.mts';
import { run as runHttpBench } from './token-exchange.bench.mts';
import { runVerifyBench } from './verify.bench.mts';

export const name = 'auth-server';

/** The HTTP benchmark of issue 3, then the in-process cost of the subject-token verification. */
export async function run(settings: Settings): Promise<void> {
  await runHttpBench(settings);
  await runVerifyBench(settings);
}
