import { Module } from '@nestjs/common';
import { DeclarativeConfigModule } from '../declarative-config/declarative-config.module';
import { AuthServerMetrics } from './auth-server.metrics';

@Module({
  imports: [DeclarativeConfigModule],
  providers: [AuthServerMetrics],
  exports: [AuthServerMetrics],
})
export class MetricsModule {}
