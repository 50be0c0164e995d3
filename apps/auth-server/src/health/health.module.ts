import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { AuthServerReadinessCheck } from './auth-server-readiness.check';

/** The auth server's readiness check; the probes themselves are ObservabilityModule's. */
@Module({
  imports: [PersistenceModule, KeysModule],
  providers: [AuthServerReadinessCheck],
  exports: [AuthServerReadinessCheck],
})
export class HealthModule {}
