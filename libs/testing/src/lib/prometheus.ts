/** A service's `GET /metrics`, parsed: read series values by name and labels. */
export class MetricsScrape {
  private constructor(readonly text: string) {}

  /** Scrapes `<baseUrl>/metrics` (with the metrics bearer token when one is set). */
  static async of(baseUrl: string, token?: string): Promise<MetricsScrape> {
    const response = await fetch(`${baseUrl}/metrics`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
    return new MetricsScrape(await response.text());
  }

  static parse(text: string): MetricsScrape {
    return new MetricsScrape(text);
  }

  /**
   * The value of the series `name` whose labels include `labels` (summed when several match, so
   * `{}` gives a metric's total); 0 when none does, as Prometheus treats a series not yet created.
   */
  value(name: string, labels: Record<string, string> = {}): number {
    let total = 0;
    for (const line of this.text.split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null || match[1] !== name) continue;
      const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
      if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[3]);
    }
    return total;
  }

  /** How much a series grew since an earlier scrape. */
  increase(before: MetricsScrape, name: string, labels: Record<string, string> = {}): number {
    return this.value(name, labels) - before.value(name, labels);
  }
}
