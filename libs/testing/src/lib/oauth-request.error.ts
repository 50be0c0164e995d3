/** A token or login request the auth server refused, with what it answered. */
export class OAuthRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'OAuthRequestError';
  }

  /** The OAuth `error` code of the answer, when it has one. */
  get error(): string | undefined {
    const error = (this.body as { error?: unknown } | null)?.error;
    return typeof error === 'string' ? error : undefined;
  }
}
