/**
 * The value of a Prometheus series from a service's `GET /metrics` (bearer metrics token), labels
 * ignored and summed (the services add a default `service` label); `undefined` when absent.
 */
export async function scrapeMetric(url: string, metricsToken: string, name: string): Promise<number | undefined> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  if (!response.ok) throw new Error(`GET ${url}/metrics answered ${response.status}`);
  let total: number | undefined;
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}
