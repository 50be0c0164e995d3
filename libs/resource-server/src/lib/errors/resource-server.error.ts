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
 * What the `WWW-Authenticate` challenge names besides the error: the realm and, when the service
 * publishes protected resource metadata, its URL (RFC 9728 §5.1). Both come from configuration.
 */
export interface BearerChallenge {
  readonly realm: string;
  readonly resourceMetadataUrl?: string | undefined;
}

/**
 * A refusal by the resource server: status, a stable `error` code, a human message, and the
 * complete response headers (`WWW-Authenticate`, or `Retry-After` for a 503), fixed when the error
 * is made. The JSON body is `{ error, message }`. Any exception filter can answer it correctly by
 * sending the body with the status and setting every entry of `headers`.
 */
export class ResourceServerError extends HttpException {
  /** The answer's headers, complete (the headers contract of Baton's packages). */
  readonly headers: Readonly<Record<string, string>>;

  private constructor(
    status: HttpStatus,
    readonly error: ResourceServerErrorCode,
    readonly description: string,
    headers: Record<string, string>,
    readonly requiredScopes: readonly string[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super({ error, message: description }, status);
    this.headers = Object.freeze(headers);
  }

  /** No bearer token at all: 401 with a bare challenge (RFC 6750 §3.1: no error code). */
  static missingToken(challenge: BearerChallenge): ResourceServerError {
    const description = 'An access token is required';
    return new ResourceServerError(HttpStatus.UNAUTHORIZED, 'unauthorized', description, wwwAuthenticate(challenge));
  }

  static invalidRequest(problem: RequestProblem, challenge: BearerChallenge): ResourceServerError {
    const description = REQUEST_PROBLEMS[problem];
    return new ResourceServerError(
      HttpStatus.BAD_REQUEST,
      'invalid_request',
      description,
      wwwAuthenticate(challenge, [`error="invalid_request"`, `error_description="${description}"`]),
    );
  }

  static invalidToken(problem: TokenProblem, challenge: BearerChallenge): ResourceServerError {
    const description = TOKEN_PROBLEMS[problem];
    return new ResourceServerError(
      HttpStatus.UNAUTHORIZED,
      'invalid_token',
      description,
      wwwAuthenticate(challenge, [`error="invalid_token"`, `error_description="${description}"`]),
    );
  }

  /** `requiredScopes` are scope-tokens (checked by `@Scopes`), safe inside the quoted header value. */
  static insufficientScope(requiredScopes: readonly string[], challenge: BearerChallenge): ResourceServerError {
    return new ResourceServerError(
      HttpStatus.FORBIDDEN,
      'insufficient_scope',
      `The access token lacks the required scope: ${requiredScopes.join(' ')}`,
      wwwAuthenticate(challenge, [`error="insufficient_scope"`, `scope="${requiredScopes.join(' ')}"`]),
      requiredScopes,
    );
  }

  /** The issuer's keys cannot be fetched: the token may be fine, so 503 rather than 401. */
  static temporarilyUnavailable(retryAfterSeconds: number): ResourceServerError {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return new ResourceServerError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'temporarily_unavailable',
      'The signing keys of the token issuer cannot be fetched right now; try again later',
      { 'Retry-After': String(seconds) },
      [],
      seconds,
    );
  }
}

/** Every value comes from configuration or from the fixed vocabulary, never from the request. */
function wwwAuthenticate(challenge: BearerChallenge, error: readonly string[] = []): Record<string, string> {
  const parts = [`realm="${challenge.realm}"`, ...error];
  if (challenge.resourceMetadataUrl !== undefined) parts.push(`resource_metadata="${challenge.resourceMetadataUrl}"`);
  return { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` };
}
