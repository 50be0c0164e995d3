import autocannon, { type RequestSetup } from 'autocannon';

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /**
   * A new body for every request (e.g. a distinct subject token each time), called by each
   * connection before each request it sends; `body` is then unused.
   */
  nextBody?: () => string;
  /**
   * Headers added anew to every request (e.g. a fresh DPoP proof, which is good for one request
   * only), called like `nextBody`; they go on top of `headers`.
   */
  nextHeaders?: () => Record<string, string>;
  /** Called with every answer (status and body as text), e.g. to keep the tokens a round issued. */
  onResponse?: (status: number, body: string) => void;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /**
   * Exactly this many requests instead of a timed run (`durationSeconds` is then ignored), e.g. as
   * many as there are distinct subject tokens to present.
   */
  amount?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
}

/**
 * Drives one endpoint with autocannon (loopback only) and returns its throughput and latency.
 * With `nextBody`, `nextHeaders` or `onResponse`, every request is built anew (autocannon's `setupRequest`).
 */
export async function load(request: LoadRequest, options: LoadOptions): Promise<LoadResult> {
  const host = new URL(request.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`benchmarks run on loopback only, not ${host}`);
  }
  const result = await autocannon({
    url: request.url,
    method: request.method ?? 'GET',
    headers: request.headers,
    body: request.body,
    ...(request.nextBody === undefined && request.nextHeaders === undefined && request.onResponse === undefined
      ? {}
      : { requests: [perRequest(request)] }),
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.amount === undefined ? {} : { amount: options.amount }),
    pipelining: 1,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function perRequest(request: LoadRequest): RequestSetup {
  const { nextBody, nextHeaders, onResponse } = request;
  const setup =
    nextBody === undefined && nextHeaders === undefined
      ? undefined
      : (built: { body?: string; headers?: Record<string, string> }) =>
          Object.assign(built, {
            ...(nextBody === undefined ? {} : { body: nextBody() }),
            ...(nextHeaders === undefined ? {} : { headers: { ...request.headers, ...built.headers, ...nextHeaders() } }),
          });
  return {
    ...(setup === undefined ? {} : { setupRequest: setup }),
    ...(onResponse === undefined ? {} : { onResponse: (status: number, body: string) => onResponse(status, body) }),
  };
}
