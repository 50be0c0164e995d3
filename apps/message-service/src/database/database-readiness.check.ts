import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { MessagesRepository } from '../messages/messages.repository';

/**
 * Readiness: the message database answers and can store a message. A database that reads but
 * cannot write (full disk, read-only) must take the instance out of rotation: it would refuse
 * every message. The write probe also finds out when the database is back, since no message
 * reaches a service that is not ready.
 */
@Injectable()
export class DatabaseReadinessCheck {
  constructor(private readonly repository: MessagesRepository) {}

  async check(): Promise<HealthIndicatorResult<'database'>> {
    switch (await this.repository.probe()) {
      case 'up':
        return { database: { status: 'up' } };
      case 'cannot_write':
        return { database: { status: 'down', message: 'the database cannot write', error: 'insufficient_storage' } };
      case 'unreachable':
        return { database: { status: 'down', message: 'the database does not answer' } };
    }
  }
}
