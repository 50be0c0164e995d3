/**
 * A `TokenExchangeModule` option is missing or wrong. Thrown while the app starts, with one line
 * naming the option and what is wrong with it (never the value of a secret or a key).
 */
export class TokenExchangeOptionsError extends Error {
  constructor(
    /** The option, as a path: `clientId`, `clientAuthentication.privateKey`, `downstreams.billing.baseUrl`. */
    readonly option: string,
    problem: string,
  ) {
    super(`TokenExchangeModule: ${option} ${problem}`);
    this.name = 'TokenExchangeOptionsError';
  }
}
