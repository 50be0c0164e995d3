import { HttpException, HttpStatus } from '@nestjs/common';
import { REQUEST_PROBLEMS, RequestProblem, TOKEN_PROBLEMS, TokenProblem } from './bearer-problems';

/** The `error` codes a resource server answers with (RFC 6750 §3.1, plus two of our own). */
export type ResourceServerErrorCode =
  | 'unauthorized'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable';

/**
 * A refusal by the resource server: status, a stable `error` code, a human message, and what the
 * `WWW-Authenticate` / `Retry-After` headers must say. The JSON body is `{ error, message }`.
 */
export class ResourceServerError extends HttpException {
  private constructor(
    status: HttpStatus,
    readonly error: ResourceServerErrorCode,
    readonly description: string,
    /** Whether the challenge names the error (RFC 6750: not when no credentials were sent). */
    private readonly challengeError: boolean,
    readonly requiredScopes: readonly string[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super({ error, message: description }, status);
  }

  /** No bearer token at all: 401 with a bare challenge. */
  static missingToken(): ResourceServerError {
    return new ResourceServerError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'An access token is required', false);
  }

  static invalidRequest(problem: RequestProblem): ResourceServerError {
    return new ResourceServerError(HttpStatus.BAD_REQUEST, 'invalid_request', REQUEST_PROBLEMS[problem], true);
  }

  static invalidToken(problem: TokenProblem): ResourceServerError {
    return new ResourceServerError(HttpStatus.UNAUTHORIZED, 'invalid_token', TOKEN_PROBLEMS[problem], true);
  }

  static insufficientScope(requiredScopes: readonly string[]): ResourceServerError {
    return new ResourceServerError(
      HttpStatus.FORBIDDEN,
      'insufficient_scope',
      `The access token lacks the required scope: ${requiredScopes.join(' ')}`,
      true,
      requiredScopes,
    );
  }

  /** The issuer's keys cannot be fetched: the token may be fine, so 503 rather than 401. */
  static temporarilyUnavailable(retryAfterSeconds: number): ResourceServerError {
    return new ResourceServerError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'temporarily_unavailable',
      'The signing keys of the token issuer cannot be fetched right now; try again later',
      false,
      [],
      Math.max(1, Math.ceil(retryAfterSeconds)),
    );
  }

  /**
   * Headers of the answer. Every value comes from configuration or from the fixed vocabulary.
   * `resourceMetadataUrl` (RFC 9728 §5.1) tells a client that only knows this service's URL where
   * to find its authorization server and scopes.
   */
  headers(realm: string, resourceMetadataUrl?: string): Record<string, string> {
    if (this.error === 'temporarily_unavailable') {
      return { 'Retry-After': String(this.retryAfterSeconds ?? 1) };
    }
    const parts = [`realm="${realm}"`];
    if (this.challengeError) {
      parts.push(`error="${this.error}"`);
      if (this.error === 'insufficient_scope') {
        parts.push(`scope="${this.requiredScopes.join(' ')}"`);
      } else {
        parts.push(`error_description="${this.description}"`);
      }
    }
    if (resourceMetadataUrl !== undefined) parts.push(`resource_metadata="${resourceMetadataUrl}"`);
    return { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` };
  }
}
