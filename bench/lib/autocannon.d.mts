// The part of autocannon's API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  /** One entry of `requests`: hooks autocannon calls around each request a connection sends. */
  export interface RequestSetup {
    setupRequest?: (request: { body?: string; headers?: Record<string, string> }) => { body?: string; headers?: Record<string, string> };
    onResponse?: (status: number, body: string) => void;
  }
  interface Options {
    requests?: RequestSetup[];
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    duration?: number;
    amount?: number;
    pipelining?: number;
  }
  interface Histogram {
    average: number;
    total: number;
    p50: number;
    p99: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
