/** The OAuth error codes the token-exchange grant answers with (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 8707). */
export type TokenExchangeErrorCode =
  | 'invalid_request'
  | 'invalid_target'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'invalid_client';

/**
 * A refused exchange. It carries what oidc-provider's error renderer reads (`message` = the OAuth
 * error code, `error_description`, `statusCode`, `expose`), so throwing it from the grant handler
 * produces `{ "error": ..., "error_description": ... }` with the status, and nothing internal.
 */
export class TokenExchangeError extends Error {
  readonly error: TokenExchangeErrorCode;
  readonly error_description: string;
  readonly status: number;
  readonly statusCode: number;
  /** oidc-provider renders exposed errors as they are; unexposed ones become `server_error`. */
  readonly expose = true;

  constructor(error: TokenExchangeErrorCode, description: string, status = 400) {
    super(error);
    this.name = 'TokenExchangeError';
    this.error = error;
    this.error_description = description;
    this.status = status;
    this.statusCode = status;
  }

  static invalidRequest(description: string): TokenExchangeError {
    return new TokenExchangeError('invalid_request', description);
  }

  static invalidTarget(description: string): TokenExchangeError {
    return new TokenExchangeError('invalid_target', description);
  }

  static invalidScope(description: string): TokenExchangeError {
    return new TokenExchangeError('invalid_scope', description);
  }

  static unauthorizedClient(description: string): TokenExchangeError {
    return new TokenExchangeError('unauthorized_client', description);
  }
}
