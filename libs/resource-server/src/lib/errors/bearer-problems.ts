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

/** `invalid_token` descriptions of a valid token used the wrong way (RFC 9449 §7): after verification. */
export const TOKEN_BINDING_PROBLEMS = {
  boundTokenAsBearer: 'The access token is bound to a DPoP key and must be sent with the DPoP scheme and a proof',
  dpopRequired: 'This service accepts this access token only when it is bound to a DPoP key',
  notBound: 'The access token is not bound to a DPoP key (no cnf.jkt)',
} as const;

export type TokenProblem = keyof typeof TOKEN_PROBLEMS;
export type TokenBindingProblem = keyof typeof TOKEN_BINDING_PROBLEMS;

export const REQUEST_PROBLEMS = {
  multipleMethods: 'The access token was sent in more than one way',
  tokenInUrl: 'Access tokens are accepted only in the Authorization header, not in the URL',
  tokenInBody: 'Access tokens are accepted only in the Authorization header, not in the body',
  malformedHeader: 'The Authorization header is malformed',
} as const;

export type RequestProblem = keyof typeof REQUEST_PROBLEMS;

/** RFC 9449 §7.1 `invalid_dpop_proof` descriptions: fixed, never from the proof itself. */
export const DPOP_PROOF_PROBLEMS = {
  missing: 'A DPoP proof is required with the DPoP scheme',
  multiple: 'Exactly one DPoP proof is allowed',
  malformed: 'The DPoP proof is malformed',
  type: 'The DPoP proof must have typ dpop+jwt',
  algorithm: 'The DPoP proof is signed with an algorithm that is not accepted',
  key: 'The DPoP proof must carry a public key that fits its algorithm',
  privateKey: 'The DPoP proof key must not contain private key members',
  signature: 'The DPoP proof signature is invalid',
  claims: 'The DPoP proof has missing or malformed claims',
  method: 'The DPoP proof was made for another HTTP method',
  url: 'The DPoP proof was made for another URL',
  time: 'The DPoP proof was not made within the accepted time window',
  accessTokenHash: 'The DPoP proof does not match the access token (ath)',
  keyMismatch: 'The DPoP proof key is not the key the access token is bound to',
  replayed: 'The DPoP proof has been used before',
} as const;

export type DpopProofProblem = keyof typeof DPOP_PROOF_PROBLEMS;
