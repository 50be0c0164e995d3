/** One call to a downstream service on behalf of the caller whose token is `subjectToken`. */
export interface DownstreamRequest {
  /** The caller's access token (the principal's `token`). It is exchanged, never forwarded. */
  subjectToken: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path on the downstream, starting with `/` (e.g. `/api/messages`). */
  path: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON. */
  body?: unknown;
  /** Scope for this call's token, instead of the downstream's configured scope. */
  scope?: string | readonly string[];
}

/** The downstream's answer, when it is one the caller should see (2xx, or 4xx other than 401). */
export interface DownstreamResponse<T> {
  status: number;
  /** The JSON body; `undefined` when there was none (or a 4xx body that is not JSON). */
  data: T;
  headers: Readonly<Record<string, string>>;
}
