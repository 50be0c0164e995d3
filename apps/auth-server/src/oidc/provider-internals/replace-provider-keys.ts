import type { Provider } from 'oidc-provider';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';

/**
 * Gives a running oidc-provider new signing keys. oidc-provider reads `jwks` once, in its
 * constructor, and has no public way to change them; rebuilding the Provider would drop the grant
 * registrations and every reference the app holds. So this calls the initialiser the constructor
 * itself uses, which replaces both the keystore that signs and the JWKS its `/oauth2/jwks` serves.
 * The first key of `jwks` is the one oidc-provider picks for an algorithm, so the signing key goes
 * first (SigningKeysService.privateJwks() orders them so).
 *
 * Seam, checked against oidc-provider 9.13.3: relies on the deep import
 * `oidc-provider/lib/helpers/initialize_keystore.js` (default export, called with the Provider as
 * `this` and a private JWKS) storing the keystore and public JWKS where signing and the jwks route
 * read them. Guarded by replace-provider-keys.spec.ts.
 */
export function replaceProviderKeys(provider: Provider, jwks: { keys: readonly object[] }): void {
  initializeKeystore.call(provider, { keys: jwks.keys.map((key) => ({ ...key })) });
}
