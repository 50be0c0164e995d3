/**
 * The one oidc-provider internal Baton uses (see provider-keystore.ts). Not covered by semver;
 * oidc-provider is pinned, and the key rotation tests fail if this module changes shape.
 */
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  /** Builds the provider's keystore and its public JWKS from a private JWKS; `this` is the Provider. */
  export default function initializeKeystore(this: unknown, jwks: { keys: readonly object[] }): void;
}
