import { createPublicKey, JsonWebKey } from 'node:crypto';
import type { PublicJwk } from './verification-keys';

/**
 * The public halves of the private JWKs given to `new Provider(issuer, { jwks })`, as the provider
 * publishes them: what `registerTokenExchange`'s `publicJwks` needs when the host holds only the
 * private set. Each key keeps its `kid`, `alg` and `use`; a symmetric (`oct`) key is refused, the
 * grant verifies asymmetric signatures only.
 */
export function toPublicJwks(privateJwks: readonly (JsonWebKey & { kid?: string; alg?: string; use?: string })[]): PublicJwk[] {
  return privateJwks.map((jwk) => {
    if (jwk.kty === 'oct') throw new TypeError('toPublicJwks: a symmetric (oct) key has no public half');
    const publicJwk: PublicJwk = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'jwk' });
    if (jwk.kid !== undefined) publicJwk.kid = jwk.kid;
    if (jwk.alg !== undefined) publicJwk.alg = jwk.alg;
    if (jwk.use !== undefined) publicJwk.use = jwk.use;
    return publicJwk;
  });
}
