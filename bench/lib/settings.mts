/** What every benchmark suite is given by `bench/run.mts`. */
export interface Settings {
  /** At least 3: results are reported as min / median / max over rounds. */
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

/**
 * Warm-up, at least, of a suite that measures Nest services beside peers or another build: a Nest
 * service needs about ten seconds of load on one core before V8 has compiled its hot paths
 * (measured: the auth server's client_credentials 600 → 400 → 320 µs of CPU per request over its
 * first three 5 s rounds; message-service GET /api/messages in 2 s slices 850, 780, 540, 400, then
 * ~300 µs from the ninth second on), while the bare peers settle within a second or two. With
 * BENCH_WARMUP's default (2 s) the first rounds measured V8's compiler, not the requests.
 */
const NEST_MIN_WARMUP_SECONDS = 15;

/** The warm-up such a suite gives every side alike: BENCH_WARMUP, but never under 15 s. */
export function nestWarmupSeconds(settings: Settings): number {
  return Math.max(NEST_MIN_WARMUP_SECONDS, settings.warmupSeconds);
}
