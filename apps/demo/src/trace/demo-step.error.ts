/** A step that did not behave as the demo expects; the message says what happened instead. */
export class DemoStepError extends Error {
  constructor(
    message: string,
    /** What was received, for the reader to compare (never a token). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'DemoStepError';
  }
}
