import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';

/** Adds the public `GET /health` route. */
@Module({ controllers: [HealthController] })
export class HealthModule {}
