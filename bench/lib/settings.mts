/** What every benchmark suite is given by `bench/run.mts`. */
export interface Settings {
  /** At least 3: results are reported as min / median / max over rounds. */
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}
