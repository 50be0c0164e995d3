import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { SigningKeysService } from '../keys/signing-keys.service';
import { OidcStorage } from '../persistence/oidc-storage';

/**
 * Readiness of the auth server: its database answers and can store (a server that cannot write
 * would refuse every sign-in, code and refresh), and it has a key to sign tokens with. Either
 * engine: SQLite in the data folder, or the PostgreSQL database every replica shares.
 */
@Injectable()
export class AuthServerReadinessCheck {
  constructor(
    private readonly storage: OidcStorage,
    private readonly signingKeys: SigningKeysService,
  ) {}

  async check(): Promise<HealthIndicatorResult<'database' | 'signingKeys'>> {
    return {
      database: await this.database(),
      signingKeys:
        this.signingKeys.keys.length > 0
          ? { status: 'up', keys: this.signingKeys.keys.length }
          : { status: 'down', message: 'no signing key' },
    };
  }

  private async database(): Promise<HealthIndicatorResult<'database'>['database']> {
    try {
      await this.storage.ping();
    } catch {
      return { status: 'down', message: 'the database does not answer' };
    }
    // The write probe also finds out when space is back: no sign-in reaches a server that is not ready.
    return (await this.storage.probeWrite()) === undefined
      ? { status: 'up' }
      : { status: 'down', message: 'the database cannot write', error: 'temporarily_unavailable' };
  }
}
