/**
 * oidc-provider's keystore initialiser, an internal module (not covered by its semver). Only
 * replace-provider-keys.ts may import it; replace-provider-keys.spec.ts fails if it changes shape.
 */
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  /** Builds the provider's keystore and its public JWKS from a private JWKS; `this` is the Provider. */
  export default function initializeKeystore(this: unknown, jwks: { keys: readonly object[] }): void;
}
