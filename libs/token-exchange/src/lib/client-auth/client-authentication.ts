/** What a request to the token endpoint carries to authenticate this client. */
export interface ClientCredentials {
  /** Headers to add (`Authorization` for client_secret_basic). */
  readonly headers: Readonly<Record<string, string>>;
  /** Form fields to add (`client_id` and `client_secret` or `client_assertion`). */
  readonly form: Readonly<Record<string, string>>;
}

/**
 * One way of authenticating to the token endpoint. Asked for fresh credentials before every
 * request (the retry included): a `private_key_jwt` assertion is single-use.
 */
export interface ClientAuthentication {
  readonly method: string;
  credentials(tokenEndpoint: string): ClientCredentials | Promise<ClientCredentials>;
}
