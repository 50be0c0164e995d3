import { AxiosResponse, isAxiosError } from 'axios';

const MAX_RESPONSE_BYTES = 65_536;

/** Errors from connecting or talking to a server before it answered: worth one retry. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'ERR_NETWORK',
]);

/** How one HTTP request to the auth server ended. */
export type Attempt =
  | { kind: 'response'; response: AxiosResponse<string> }
  | { kind: 'network'; code: string }
  | { kind: 'timeout' }
  | { kind: 'invalid'; detail: string };

/** Runs one request and says how it ended, without throwing. */
export async function attempt(call: () => Promise<AxiosResponse<string>>): Promise<Attempt> {
  try {
    return { kind: 'response', response: await call() };
  } catch (error) {
    return classifyRequestError(error);
  }
}

/** Axios options shared by every call to the auth server: a deadline, the raw body, no redirects, any status. */
export function rawTextRequest(timeoutMs: number) {
  return {
    signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
    responseType: 'text' as const,
    transformResponse: (data: unknown) => data,
    validateStatus: () => true,
    maxRedirects: 0,
    maxContentLength: MAX_RESPONSE_BYTES,
  };
}

function classifyRequestError(error: unknown): Attempt {
  if (!isAxiosError(error)) return { kind: 'network', code: 'unknown' };
  if (error.code === 'ERR_CANCELED') return { kind: 'timeout' };
  const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  if (NETWORK_ERROR_CODES.has(code)) return { kind: 'network', code };
  if (code === 'ERR_BAD_RESPONSE' || code === 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED') {
    return { kind: 'invalid', detail: error.message };
  }
  return { kind: 'network', code };
}

/** The body as a JSON object, or `undefined` when it is not one. */
export function parseJsonObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
