/**
 * The fixed vocabulary of `error_description` values. Descriptions end up in the
 * `WWW-Authenticate` header, so they are chosen here and never built from the request or from
 * library error messages (which may quote attacker input such as an audience or issuer).
 */
export const TOKEN_PROBLEMS = {
  malformed: 'The access token is malformed',
  algorithm: 'The access token is signed with an algorithm that is not accepted',
  type: 'The token is not an access token (typ must be at+jwt)',
  unknownKey: 'The access token is signed by an unknown key',
  signature: 'The access token signature is invalid',
  expired: 'The access token has expired',
  notYetValid: 'The access token is not valid yet',
  missingExpiry: 'The access token has no expiry',
  issuer: 'The access token was not issued by the trusted issuer',
  audience: 'The access token is not meant for this service',
  missingSubject: 'The access token has no subject',
  claims: 'The access token has malformed claims',
  invalid: 'The access token is invalid',
} as const;

export type TokenProblem = keyof typeof TOKEN_PROBLEMS;

export const REQUEST_PROBLEMS = {
  multipleMethods: 'The access token was sent in more than one way',
  tokenInUrl: 'Access tokens are accepted only in the Authorization header, not in the URL',
  tokenInBody: 'Access tokens are accepted only in the Authorization header, not in the body',
  malformedHeader: 'The Authorization header is malformed',
} as const;

export type RequestProblem = keyof typeof REQUEST_PROBLEMS;
