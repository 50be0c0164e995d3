import { HttpException, HttpStatus } from '@nestjs/common';
import {
  DPOP_PROOF_PROBLEMS,
  DpopProofProblem,
  REQUEST_PROBLEMS,
  RequestProblem,
  TOKEN_BINDING_PROBLEMS,
  TOKEN_PROBLEMS,
  TokenBindingProblem,
  TokenProblem,
} from './bearer-problems';

/** The `error` codes a resource server answers with (RFC 6750 §3.1, plus two of our own). */
export type ResourceServerErrorCode =
  | 'unauthorized'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/**
 * What the `WWW-Authenticate` challenge names besides the error: the realm and, when the service
 * publishes protected resource metadata, its URL (RFC 9728 §5.1). Both come from configuration.
 */
export interface BearerChallenge {
  readonly realm: string;
  readonly resourceMetadataUrl?: string | undefined;
  /**
   * The scheme the request used, which the challenge answers in: `DPoP` for `Authorization: DPoP`
   * (RFC 9449 §7.1), else `Bearer`.
   */
  readonly scheme?: 'Bearer' | 'DPoP' | undefined;
  /** With DPoP accepted: the `algs` of the DPoP challenge (RFC 9449 §7.1); a bare challenge names both schemes. */
  readonly dpopAlgorithms?: readonly string[] | undefined;
  /** DPoP required for every token: a bare challenge names the DPoP scheme alone. */
  readonly dpopAlways?: boolean | undefined;
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

  static invalidToken(problem: TokenProblem | TokenBindingProblem, challenge: BearerChallenge): ResourceServerError {
    const description = Object.hasOwn(TOKEN_PROBLEMS, problem)
      ? TOKEN_PROBLEMS[problem as TokenProblem]
      : TOKEN_BINDING_PROBLEMS[problem as TokenBindingProblem];
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

  /** RFC 9449 §7.1: the DPoP proof is missing, malformed, or does not fit the request or the token. */
  static invalidDpopProof(problem: DpopProofProblem, challenge: BearerChallenge): ResourceServerError {
    const description = DPOP_PROOF_PROBLEMS[problem];
    return new ResourceServerError(
      HttpStatus.UNAUTHORIZED,
      'invalid_dpop_proof',
      description,
      wwwAuthenticate({ ...challenge, scheme: 'DPoP' }, [`error="invalid_dpop_proof"`, `error_description="${description}"`]),
    );
  }

  /**
   * RFC 9449 §9: the service wants a proof carrying the nonce it gives in `DPoP-Nonce` (a value
   * this service made: base64url, header-safe). The client retries once with it.
   */
  static useDpopNonce(nonce: string, challenge: BearerChallenge): ResourceServerError {
    const description = 'The DPoP proof must carry the nonce this service gives in the DPoP-Nonce header';
    return new ResourceServerError(HttpStatus.UNAUTHORIZED, 'use_dpop_nonce', description, {
      ...wwwAuthenticate({ ...challenge, scheme: 'DPoP' }, [`error="use_dpop_nonce"`, `error_description="${description}"`]),
      'DPoP-Nonce': nonce,
    });
  }

  /** The issuer's keys cannot be fetched: the token may be fine, so 503 rather than 401. */
  static temporarilyUnavailable(
    retryAfterSeconds: number,
    description = 'The signing keys of the token issuer cannot be fetched right now; try again later',
  ): ResourceServerError {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return new ResourceServerError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'temporarily_unavailable',
      description,
      { 'Retry-After': String(seconds) },
      [],
      seconds,
    );
  }
}

/**
 * Every value comes from configuration or from the fixed vocabulary, never from the request. An
 * error is answered in the scheme the request used; a request without credentials, at a service
 * that accepts DPoP, is told about both schemes (RFC 9449 §7.1: `Bearer …, DPoP algs="…"`), or
 * only DPoP when it requires DPoP for every token.
 */
function wwwAuthenticate(challenge: BearerChallenge, error: readonly string[] = []): Record<string, string> {
  const metadata = challenge.resourceMetadataUrl === undefined ? [] : [`resource_metadata="${challenge.resourceMetadataUrl}"`];
  const algs = challenge.dpopAlgorithms === undefined ? [] : [`algs="${challenge.dpopAlgorithms.join(' ')}"`];
  const bearer = `Bearer ${[`realm="${challenge.realm}"`, ...error, ...metadata].join(', ')}`;
  const dpop = `DPoP ${[`realm="${challenge.realm}"`, ...error, ...algs, ...metadata].join(', ')}`;
  if (challenge.scheme === 'DPoP') return { 'WWW-Authenticate': dpop };
  if (error.length > 0 || challenge.dpopAlgorithms === undefined) return { 'WWW-Authenticate': bearer };
  return { 'WWW-Authenticate': challenge.dpopAlways ? dpop : `${bearer}, ${dpop}` };
}
