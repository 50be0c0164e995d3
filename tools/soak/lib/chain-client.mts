/** What one call through user-service came back with. */
export interface CallOutcome {
  /** HTTP status, or 0 when no answer came (connection refused, reset, timeout). */
  status: number;
  ms: number;
  retryAfter: string | null;
  /** The stored message's id, for a POST answered 201. */
  messageId?: string;
}

const CALL_TIMEOUT_MS = 15_000;

/** `GET /api/users/messages` (one page) or `POST /api/users/messages` (to the caller itself). */
export async function callChain(
  userServiceUrl: string,
  token: string,
  request: { kind: 'get'; query?: string } | { kind: 'post'; to: string; text: string },
): Promise<CallOutcome & { body?: unknown }> {
  const started = performance.now();
  try {
    const response = await fetch(
      request.kind === 'get' ? `${userServiceUrl}/api/users/messages${request.query ?? '?limit=5'}` : `${userServiceUrl}/api/users/messages`,
      {
        method: request.kind === 'get' ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(request.kind === 'post' ? { 'content-type': 'application/json' } : {}),
        },
        body: request.kind === 'post' ? JSON.stringify({ to: request.to, text: request.text }) : undefined,
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      },
    );
    const text = await response.text();
    const ms = performance.now() - started;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const messageId =
      request.kind === 'post' && response.status === 201 && typeof body === 'object' && body !== null && 'id' in body
        ? String((body as { id: unknown }).id)
        : undefined;
    return { status: response.status, ms, retryAfter: response.headers.get('retry-after'), messageId, body };
  } catch {
    return { status: 0, ms: performance.now() - started, retryAfter: null };
  }
}

/** Answers counted by status (`0`: no answer). */
export class StatusTally {
  private readonly counts = new Map<number, number>();

  add(status: number): void {
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  count(status: number): number {
    return this.counts.get(status) ?? 0;
  }

  /** Answers whose status is not in `expected`. */
  other(expected: readonly number[]): number {
    return [...this.counts].filter(([status]) => !expected.includes(status)).reduce((sum, [, count]) => sum + count, 0);
  }

  toString(): string {
    if (this.counts.size === 0) return 'none';
    return [...this.counts]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status === 0 ? 'no answer' : status} x${count}`)
      .join(', ');
  }
}
