import { UnreachableError } from './unreachable.error';

/** An HTTP answer, its body parsed when it is JSON. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface HttpCallOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A form (sent as application/x-www-form-urlencoded) or a JSON value. */
  body?: URLSearchParams | object;
  timeoutMs: number;
}

/** One request with a deadline. Throws UnreachableError when no answer came back. */
export async function httpCall(url: string, options: HttpCallOptions): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.body instanceof URLSearchParams) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = options.body.toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new UnreachableError(url, failureReason(error));
  }
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseBody(text) };
}

/** The most telling code of a failed fetch: the socket error's code, or `timeout`. */
export function failureReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = (cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
    const nested = (cause as { errors?: { code?: unknown }[] } | undefined)?.errors?.find((item) => typeof item.code === 'string');
    if (typeof nested?.code === 'string') return nested.code;
    return error.message;
  }
  return String(error);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
