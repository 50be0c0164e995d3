import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { SigningKeysService } from '../keys/signing-keys.service';
import { OidcStore } from '../persistence/oidc-store';

/**
 * Readiness of the auth server: its database answers and can store (a server that cannot write
 * would refuse every sign-in, code and refresh), and it has a key to sign tokens with.
 */
@Injectable()
export class AuthServerReadinessCheck {
  constructor(
    private readonly store: OidcStore,
    private readonly signingKeys: SigningKeysService,
  ) {}

  check(): HealthIndicatorResult<'database' | 'signingKeys'> {
    return {
      database: this.database(),
      signingKeys:
        this.signingKeys.keys.length > 0
          ? { status: 'up', keys: this.signingKeys.keys.length }
          : { status: 'down', message: 'no signing key' },
    };
  }

  private database(): HealthIndicatorResult<'database'>['database'] {
    try {
      this.store.ping();
    } catch {
      return { status: 'down', message: 'the database does not answer' };
    }
    // The write probe also finds out when space is back: no sign-in reaches a server that is not ready.
    return this.store.probeWrite() === undefined
      ? { status: 'up' }
      : { status: 'down', message: 'the database cannot write', error: 'temporarily_unavailable' };
  }
}
