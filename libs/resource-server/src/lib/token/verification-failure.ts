import { ResourceServerError } from '../errors/resource-server.error';
import { TokenProblem } from '../errors/bearer-problems';

/**
 * Turns what passport-jwt reports (jsonwebtoken's errors, or our own from the key lookup) into the
 * answer the client gets. jsonwebtoken's messages quote token contents, so only the kind of
 * failure is kept, never the message itself.
 */
export function toResourceServerError(failure: unknown): ResourceServerError {
  if (failure instanceof ResourceServerError) return failure;
  return ResourceServerError.invalidToken(problemOf(failure));
}

function problemOf(failure: unknown): TokenProblem {
  if (typeof failure !== 'object' || failure === null) return 'invalid';
  const { name, message } = failure as { name?: unknown; message?: unknown };
  if (name === 'TokenExpiredError') return 'expired';
  if (name === 'NotBeforeError') return 'notYetValid';
  if (typeof message !== 'string') return 'invalid';
  if (message === 'invalid signature' || message === 'jwt signature is required') return 'signature';
  if (message.startsWith('jwt audience invalid')) return 'audience';
  if (message.startsWith('jwt issuer invalid')) return 'issuer';
  if (message === 'invalid algorithm') return 'algorithm';
  if (/^(jwt malformed|invalid token|jwt must be)/.test(message)) return 'malformed';
  if (/^invalid (exp|nbf|iat) value/.test(message) || /^(exp|nbf|iat) .* number/.test(message)) return 'claims';
  return 'invalid';
}
