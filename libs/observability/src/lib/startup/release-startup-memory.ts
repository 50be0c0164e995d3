import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type CollectGarbage = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Gives back the memory that starting took, once the service listens.
 *
 * Loading Nest, its modules and their metadata allocates heavily, and V8 grows the young generation
 * to its maximum (2 × 32 MiB committed) on the way; nothing shrinks it again while the process is
 * quiet, so an idle service kept ~140 MiB of RSS of which ~35 MiB was empty young generation.
 * One memory-reducing ("last resort") full collection right after start returns it (measured:
 * message-service idle RSS 142 → 109 MiB). It runs once, before the first request can arrive
 * through a balancer (readiness follows start), and takes tens of milliseconds. Under load the
 * young generation grows back as V8 sees fit: peak RSS is unchanged, and so is the cost per request.
 *
 * `gc` is reached the way Node documents for tooling: the flag, then the function from a fresh
 * context; the main context's globals stay untouched.
 */
export function releaseStartupMemory(): void {
  try {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as CollectGarbage;
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // A runtime without these options only keeps the memory it had: nothing to report.
  }
}

/** The V8 option that {@link keepWarmAfterIdle} turns off; on the command line it wins. */
export const MEMORY_REDUCER_FAVORS_MEMORY = '--memory-reducer-favors-memory';

/**
 * Keeps a service as fast after a quiet spell as it was before it.
 *
 * When a busy process falls quiet, V8's memory reducer runs its full collections in "reduce memory
 * footprint" mode, a setting made for browser tabs: it shrinks the heap to its live size and lets
 * go of the optimized code tied to objects no longer alive. The next burst then pays the warm-up
 * again: measured on the auth server (client_credentials, one pinned core), 30 s of quiet took it
 * from 320 to 580 µs of CPU per request for about ten seconds, while V8 recompiled ~500 functions and
 * collected every 0.65 s in a heap grown back from 30 MiB. With this option off the reducer still
 * runs, as ordinary collections: garbage goes, the heap keeps its size (RSS after a load stays at its
 * peak, ~320 MiB for the auth server, against ~240 MiB), and the first second after the quiet spell
 * costs what the last one before it did. The idle RSS at start is not affected
 * ({@link releaseStartupMemory} runs before it).
 *
 * An operator who prefers memory back keeps V8's default by starting Node with
 * `--memory-reducer-favors-memory` (in NODE_OPTIONS it is refused; on the command line it is seen
 * here and left alone). Returns whether the option was changed.
 */
export function keepWarmAfterIdle(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((argument) => argument === MEMORY_REDUCER_FAVORS_MEMORY || argument === '--memory_reducer_favors_memory')) {
    return false;
  }
  try {
    setFlagsFromString('--no-memory-reducer-favors-memory');
    return true;
  } catch {
    return false;
  }
}
