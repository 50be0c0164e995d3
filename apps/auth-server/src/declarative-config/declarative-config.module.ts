import { Module } from '@nestjs/common';
import { DeclarativeConfigService } from './declarative-config.service';

@Module({
  providers: [DeclarativeConfigService],
  exports: [DeclarativeConfigService],
})
export class DeclarativeConfigModule {}
