/** An answer from one of the services, its JSON body parsed. */
export interface Answer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  /** Milliseconds from sending to the full answer. */
  readonly elapsedMs: number;
}

export interface CallOptions {
  token?: string;
  method?: 'GET' | 'POST';
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Default 30 s: far beyond every timeout the services are given in these tests. */
  timeoutMs?: number;
}

/** One HTTP request as a client of the services would send it. */
export async function call<T = unknown>(url: string, options: CallOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const started = performance.now();
  const response = await fetch(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T, elapsedMs: performance.now() - started };
}

/** The claims of a JWT, read without verifying it (the services verify). */
export function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
