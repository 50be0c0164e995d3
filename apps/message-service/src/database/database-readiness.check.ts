import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { SqliteDatabase } from './sqlite-database';

/**
 * Readiness: the message database answers a query and can store a row. A database that reads
 * but cannot write (full disk, file size limit, read-only) must take the instance out of
 * rotation: it would refuse every message. The write probe also finds out when space is back,
 * since no message reaches a service that is not ready.
 */
@Injectable()
export class DatabaseReadinessCheck {
  constructor(private readonly database: SqliteDatabase) {}

  check(): HealthIndicatorResult<'database'> {
    try {
      this.database.connection.prepare('SELECT 1').get();
    } catch {
      return { database: { status: 'down', message: 'the database does not answer' } };
    }
    const failure = this.database.probeWrite();
    return failure === undefined
      ? { database: { status: 'up' } }
      : { database: { status: 'down', message: 'the database cannot write', error: 'insufficient_storage' } };
  }
}
