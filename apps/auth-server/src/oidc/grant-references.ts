import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, KeyObject, randomBytes } from 'node:crypto';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

/** The private claim of access tokens that names their authorization grant (sealed, see GrantReferences). */
export const GRANT_REFERENCE_CLAIM = 'grant_ref';

const KEY_INFO = 'baton grant reference v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const byProvider = new WeakMap<Provider, GrantReferences>();
const carriedByRequest = new WeakMap<object, string>();

/**
 * The grant an access token was issued under, as a claim only this server can read.
 *
 * A revoked grant (code replay, refresh token revocation, sign-out) must stop the exchange of the
 * user's access tokens (issue 11, H06), so the exchange has to find the grant from the token. The
 * raw grant id is an internal handle (oidc-provider looks grants up by it), so the token carries
 * it sealed: AES-256-GCM under a key derived (HKDF-SHA256) from the cookie secrets, which already
 * are the server's persistent secrets. A hash or HMAC would hide it as well but cannot be turned
 * back into the id to look up; a table from hash to id would be one more store to keep in step.
 * The newest secret seals; every configured one opens, so rotating the cookie secrets keeps
 * the references of live tokens readable.
 */
export class GrantReferences {
  private readonly keys: readonly KeyObject[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('GrantReferences needs at least one secret');
    // KeyObjects: imported once, not re-read from bytes on every seal and open.
    this.keys = secrets.map((secret) => createSecretKey(Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32))));
  }

  /** The instance serving `provider` (registered by OidcProviderFactory). */
  static of(provider: Provider): GrantReferences {
    const references = byProvider.get(provider);
    if (references === undefined) throw new Error('no GrantReferences registered for this provider');
    return references;
  }

  attachTo(provider: Provider): void {
    byProvider.set(provider, this);
  }

  seal(grantId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0] as KeyObject, iv);
    const sealed = Buffer.concat([cipher.update(grantId, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** The grant id inside a reference, `undefined` when it is not one this server sealed. */
  open(reference: string): string | undefined {
    const bytes = Buffer.from(reference, 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    const iv = bytes.subarray(0, IV_BYTES);
    const sealed = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
      } catch {
        // Not sealed under this key: try the next one.
      }
    }
    return undefined;
  }

  /**
   * Whether the grant behind a reference still exists and has not expired. oidc-provider deletes
   * the grant when it revokes it (code replay, RFC 7009 revocation of its refresh token, sign-out).
   */
  async isLive(provider: Provider, reference: string): Promise<boolean> {
    const grantId = this.open(reference);
    if (grantId === undefined) return false;
    const grant = await provider.Grant.find(grantId);
    return grant !== undefined && !grant.isExpired;
  }

  /**
   * Carries a subject token's reference over to the token an exchange issues in this request: a
   * token exchanged from a user's token dies with the user's grant too, however long the chain.
   */
  static carry(ctx: KoaContextWithOIDC, reference: string): void {
    carriedByRequest.set(ctx, reference);
  }

  /** The reference for a token being issued: its own grant's, else one carried by an exchange. */
  claimFor(ctx: KoaContextWithOIDC, token: { grantId?: string | undefined }): Record<string, string> | undefined {
    if (typeof token.grantId === 'string' && token.grantId !== '') return { [GRANT_REFERENCE_CLAIM]: this.seal(token.grantId) };
    const carried = carriedByRequest.get(ctx);
    return carried === undefined ? undefined : { [GRANT_REFERENCE_CLAIM]: carried };
  }
}
