import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { SigningKeysService } from '../keys/signing-keys.service';
import { OidcStore } from '../persistence/oidc-store';

/** Readiness of the auth server: its database answers and it has a key to sign tokens with. */
@Injectable()
export class AuthServerReadinessCheck {
  constructor(
    private readonly store: OidcStore,
    private readonly signingKeys: SigningKeysService,
  ) {}

  check(): HealthIndicatorResult<'database' | 'signingKeys'> {
    return {
      database: this.databaseUp() ? { status: 'up' } : { status: 'down', message: 'the database does not answer' },
      signingKeys:
        this.signingKeys.keys.length > 0
          ? { status: 'up', keys: this.signingKeys.keys.length }
          : { status: 'down', message: 'no signing key' },
    };
  }

  private databaseUp(): boolean {
    try {
      this.store.ping();
      return true;
    } catch {
      return false;
    }
  }
}
