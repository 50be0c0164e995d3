import { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcStorage } from './oidc-storage';

/**
 * oidc-provider's storage contract for one model (Session, Interaction, Grant, AuthorizationCode,
 * RefreshToken, ...) on whichever OidcStorage the auth server runs with.
 */
export class OidcAdapter implements Adapter {
  constructor(
    private readonly storage: OidcStorage,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    await this.storage.upsert(this.model, id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.storage.find(this.model, 'id', id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.storage.find(this.model, 'user_code', userCode);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.storage.find(this.model, 'uid', uid);
  }

  /**
   * oidc-provider reads a code or refresh token, checks it is not consumed, then consumes it: two
   * requests with the same one (at two replicas, or two in this process) can both pass the check.
   * The storage consumes atomically, so the one that loses is refused here with `invalid_grant`
   * before it can issue anything, and, as oidc-provider does when a consumed one comes back
   * (RFC 6749 §4.1.2, RFC 9700 §4.14.2: the server cannot tell which party is the attacker),
   * the grant is revoked: the winner's tokens stop working too.
   */
  async consume(id: string): Promise<void> {
    if (await this.storage.consume(this.model, id)) return;
    // A pushed authorization request used twice is refused the way oidc-provider refuses a used one.
    if (this.model === 'PushedAuthorizationRequest') throw new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
    const grantId = (await this.storage.find(this.model, 'id', id))?.grantId;
    if (typeof grantId === 'string') {
      await this.storage.revokeByGrantId(grantId);
      await this.storage.destroy('Grant', grantId);
    }
    throw new errors.InvalidGrant(`${this.model} already consumed`);
  }

  async destroy(id: string): Promise<void> {
    await this.storage.destroy(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.storage.revokeByGrantId(grantId);
  }
}
