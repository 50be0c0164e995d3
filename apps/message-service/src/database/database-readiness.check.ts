import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { SqliteDatabase } from './sqlite-database';

/** Readiness: the message database answers a query. */
@Injectable()
export class DatabaseReadinessCheck {
  constructor(private readonly database: SqliteDatabase) {}

  check(): HealthIndicatorResult<'database'> {
    try {
      this.database.connection.prepare('SELECT 1').get();
      return { database: { status: 'up' } };
    } catch (error) {
      return { database: { status: 'down', message: error instanceof Error ? error.message : String(error) } };
    }
  }
}
