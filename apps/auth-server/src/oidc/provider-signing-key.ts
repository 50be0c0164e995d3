import type { KeyObject } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';
import { signJws, SigningKey } from '../keys/signing-key';

/**
 * oidc-provider's experimental "external signing key support" (features.externalSigningSupport),
 * acknowledged at this version: the provider hands the JWS signing input to `sign()` instead of
 * signing with jose through WebCrypto. Checked against oidc-provider 9.13.3 (pinned): an update
 * that changes the experiment fails the provider's start until the ack is reviewed.
 */
export const EXTERNAL_SIGNING_SUPPORT = { enabled: true, ack: 'experimental-01' } as const;

/**
 * One of the server's signing keys as oidc-provider's keystore holds it: the provider reads its
 * public members (from the public `KeyObject`, so the published JWKS is what SigningKeysService
 * publishes: same `kid`, `alg`, `use`, members) and signs through node:crypto with the private
 * `KeyObject` imported once (see `signJws`). The private JWK never reaches oidc-provider.
 */
export class ProviderSigningKey extends ExternalSigningKey {
  constructor(private readonly key: SigningKey) {
    super();
    // oidc-provider's ExternalSigningKey keeps kid and alg behind setters (its typings declare getters only).
    const members = this as unknown as { kid: string; alg: string };
    members.kid = key.kid;
    members.alg = key.alg;
  }

  /** The public key: what oidc-provider verifies its own JWTs with (e.g. an `id_token_hint`). */
  override keyObject(): KeyObject {
    return this.key.publicKey;
  }

  override sign(signingInput: Uint8Array): Buffer | Promise<Buffer> {
    return signJws(this.key, signingInput);
  }
}

/** The keystore oidc-provider signs with and publishes: the signing key first (it picks the first of an algorithm). */
export function providerKeys(keys: readonly SigningKey[]): { keys: ProviderSigningKey[] } {
  return { keys: keys.map((key) => new ProviderSigningKey(key)) };
}
