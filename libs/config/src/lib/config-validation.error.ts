/**
 * Thrown when the environment does not make a valid configuration. The message is one line that
 * names the key and the problem, e.g. `AUTH_SERVER_PORT must be a port number, got "abc"`.
 */
export class ConfigValidationError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigValidationError';
  }
}
