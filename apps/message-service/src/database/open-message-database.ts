import { isPostgresUrl } from '@baton/postgres';
import { MessagesRepository } from '../messages/messages.repository';
import { MessageDatabaseUnusableError } from './message-database-unusable.error';
import { PostgresMessagesRepository } from './postgres-messages.repository';
import { SqliteDatabase } from './sqlite-database';
import { SqliteMessagesRepository } from './sqlite-messages.repository';

export interface MessageDatabaseSettings {
  /** A SQLite file, `:memory:`, or a postgres:// / postgresql:// URL. */
  readonly database: string;
  /** PostgreSQL connections of this process. */
  readonly databasePoolSize: number;
}

/** The engine `MESSAGE_SERVICE_DATABASE` selects: PostgreSQL for a URL, SQLite for anything else. */
export async function openMessagesRepository(settings: MessageDatabaseSettings): Promise<MessagesRepository> {
  if (isPostgresUrl(settings.database)) {
    return PostgresMessagesRepository.open(settings.database, { poolSize: settings.databasePoolSize });
  }
  return new SqliteMessagesRepository(new SqliteDatabase(settings.database));
}

/**
 * Opens the message database, or stops the service with one JSON log line naming the database
 * (a URL without its password) and the engine's answer, and exit code 1 (like a bad setting stops
 * it): a corrupt file or a refused login is an operator's problem to read in the log, not a stack
 * trace from the dependency injector. The line has the shape of the service's other log lines
 * (level name, ISO time, service).
 */
export async function openMessagesRepositoryOrExit(settings: MessageDatabaseSettings): Promise<MessagesRepository> {
  try {
    return await openMessagesRepository(settings);
  } catch (error) {
    if (!(error instanceof MessageDatabaseUnusableError)) throw error;
    process.stderr.write(
      `${JSON.stringify({
        level: 'fatal',
        time: new Date().toISOString(),
        service: 'message-service',
        error: error.code,
        msg: `message-service failed to start: ${error.message}`,
      })}\n`,
    );
    process.exit(1);
  }
}
