import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcStore } from './oidc-store';

/**
 * oidc-provider's storage contract for one model (Session, Interaction, Grant, AuthorizationCode,
 * RefreshToken, ...), on the SQLite store. Expired rows are never returned and are deleted by
 * the store's sweeper.
 */
export class SqliteAdapter implements Adapter {
  constructor(
    private readonly store: OidcStore,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.store.upsert(this.model, id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.find(this.model, 'id', id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.store.find(this.model, 'user_code', userCode);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.store.find(this.model, 'uid', uid);
  }

  async consume(id: string): Promise<void> {
    this.store.consume(this.model, id);
  }

  async destroy(id: string): Promise<void> {
    this.store.destroy(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.revokeByGrantId(grantId);
  }
}
