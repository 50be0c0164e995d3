import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { HealthController } from './health.controller';

@Module({
  imports: [PersistenceModule, KeysModule],
  controllers: [HealthController],
})
export class HealthModule {}
