import { Strategy } from 'passport-jwt';
import { VerifiedClaims } from '../principal';

/**
 * SEAM (passport-jwt 4.0.1, `lib/strategy.js`): passport-jwt verifies every token with the static
 * `JwtStrategy.JwtVerifier(token, secretOrKey, options, callback)`, jsonwebtoken underneath. It
 * has no per-instance way to replace that function: only the key (`secretOrKeyProvider`) is per
 * instance. So the `baton-jwt` strategy verifies (`AccessTokenVerifier`) inside its `secretOrKeyProvider` and hands
 * passport-jwt a `JoseVerified` result in place of a key; the static verifier is wrapped, once, to
 * pass such a result through and to call the original verifier for any other key, so the host
 * app's own passport-jwt strategies keep working exactly as before. Should an upgrade stop calling
 * `JwtVerifier`, jsonwebtoken gets a `JoseVerified` as key, refuses it, and every token is refused
 * (401): it fails closed. `passport-jwt-verifier.seam.spec.ts` breaks on such an upgrade.
 */
export class JoseVerified {
  constructor(readonly claims: VerifiedClaims) {}
}

type JwtVerifierFunction = (
  token: string,
  secretOrKey: unknown,
  options: unknown,
  callback: (error: unknown, payload?: unknown) => void,
) => void;

interface JwtStrategyStatics {
  JwtVerifier: JwtVerifierFunction & { readonly [WRAPPED]?: true };
}

const WRAPPED = Symbol.for('@baton/resource-server:jose-verifier');

/** Wraps passport-jwt's static verifier (idempotent; the first strategy constructed calls it). */
export function installJoseVerifier(): void {
  const statics = Strategy as unknown as JwtStrategyStatics;
  const original = statics.JwtVerifier;
  if (typeof original !== 'function') {
    throw new Error('passport-jwt no longer exposes JwtStrategy.JwtVerifier; @baton/resource-server needs it');
  }
  if (original[WRAPPED]) return;
  const wrapped: JwtVerifierFunction = (token, secretOrKey, options, callback) => {
    if (secretOrKey instanceof JoseVerified) callback(null, secretOrKey.claims);
    else original(token, secretOrKey, options, callback);
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  statics.JwtVerifier = wrapped;
}
