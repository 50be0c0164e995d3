/** Order statistics over rounds: benchmarks report spread, not a single lucky number. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

export function formatSpread(value: Spread, digits = 0): string {
  const f = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${f(value.min)} / ${f(value.median)} / ${f(value.max)}`;
}

/** One round of a load scenario, as the suites record it. */
export interface RoundFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number | undefined;
}

/**
 * The Markdown table of scenarios over rounds: req/s, p50, p99 and CPU µs/request, each as
 * min / median / max (CPU is `n/a` when a round could not measure it).
 */
export function roundsTable(firstColumn: string, cpuColumn: string, results: ReadonlyMap<string, readonly RoundFigures[]>): string[] {
  const lines = [
    `| ${firstColumn} | req/s min / median / max | p50 ms min / median / max | p99 ms min / median / max | ${cpuColumn} min / median / max |`,
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [label, rounds] of results) {
    const cpu = rounds.map((r) => r.cpuMicrosPerRequest).filter((value): value is number => value !== undefined);
    lines.push(
      `| ${label} | ${formatSpread(spread(rounds.map((r) => r.requestsPerSecond)))} | ` +
        `${formatSpread(spread(rounds.map((r) => r.p50Ms)))} | ${formatSpread(spread(rounds.map((r) => r.p99Ms)))} | ` +
        `${cpu.length === rounds.length ? formatSpread(spread(cpu)) : 'n/a'} |`,
    );
  }
  return lines;
}
