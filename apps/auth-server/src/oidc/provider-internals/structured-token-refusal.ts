import type { KoaContextWithOIDC } from 'oidc-provider';
import { errorAnswerOf } from './error-answer';

/**
 * Whether oidc-provider has just refused a token at its introspection endpoint only because the
 * token is a JWT. oidc-provider 9 refuses every JWT there, after it authenticated the client,
 * and offers no hook to answer for such tokens, so JwtIntrospection replaces exactly that answer.
 *
 * Seam, checked against oidc-provider 9.13.3: relies on its `rejectStructuredTokens` step
 * (lib/shared/reject_structured_tokens.js) answering `400 unsupported_token_type` to any token
 * with a JWS header, and on nothing else at introspection answering that code.
 * Guarded by structured-token-refusal.spec.ts and test/oidc/introspection.spec.ts.
 */
export function isStructuredTokenRefusal(ctx: Pick<KoaContextWithOIDC, 'status' | 'body'>): boolean {
  return ctx.status === 400 && errorAnswerOf(ctx)?.['error'] === 'unsupported_token_type';
}
