/** The OAuth error codes the token-exchange grant answers with (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 8707, RFC 9449 §5 and §8). */
export type TokenExchangeRefusalCode =
  | 'invalid_request'
  | 'invalid_target'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'invalid_client'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/**
 * An exchange the grant refuses (named for what it means on the server side; a client's failed
 * call is another thing). It carries what oidc-provider's error renderer reads (`message` = the
 * OAuth error code, `error_description`, `statusCode`, `expose`), so throwing it from the grant
 * handler produces `{ "error": ..., "error_description": ... }` with the status, and nothing internal.
 */
export class TokenExchangeRefusal extends Error {
  readonly error: TokenExchangeRefusalCode;
  readonly error_description: string;
  readonly status: number;
  readonly statusCode: number;
  /** oidc-provider renders exposed errors as they are; unexposed ones become `server_error`. */
  readonly expose = true;

  constructor(error: TokenExchangeRefusalCode, description: string, status = 400) {
    super(error);
    this.name = 'TokenExchangeRefusal';
    this.error = error;
    this.error_description = description;
    this.status = status;
    this.statusCode = status;
  }

  static invalidRequest(description: string): TokenExchangeRefusal {
    return new TokenExchangeRefusal('invalid_request', description);
  }

  static invalidTarget(description: string): TokenExchangeRefusal {
    return new TokenExchangeRefusal('invalid_target', description);
  }

  static invalidScope(description: string): TokenExchangeRefusal {
    return new TokenExchangeRefusal('invalid_scope', description);
  }

  /** RFC 9449 §5: the `DPoP` proof is missing where required, malformed, or fails a check. */
  static invalidDpopProof(description: string): TokenExchangeRefusal {
    return new TokenExchangeRefusal('invalid_dpop_proof', description);
  }

  /** RFC 9449 §8: retry with the nonce of the `DPoP-Nonce` response header (set by whoever throws this). */
  static useDpopNonce(description: string): TokenExchangeRefusal {
    return new TokenExchangeRefusal('use_dpop_nonce', description);
  }

  static unauthorizedClient(description: string): TokenExchangeRefusal {
    return new TokenExchangeRefusal('unauthorized_client', description);
  }
}
