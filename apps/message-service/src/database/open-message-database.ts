import { SqliteDatabase } from './sqlite-database';
import { MessageDatabaseUnusableError } from './message-database-unusable.error';

/**
 * Opens the message database, or stops the service with one JSON log line naming the file and
 * SQLite's answer and exit code 1 (like a bad setting stops it): a corrupt database is an
 * operator's problem to read in the log, not a stack trace from the dependency injector.
 * The line has the shape of the service's other log lines (level name, ISO time, service).
 */
export function openMessageDatabaseOrExit(location: string): SqliteDatabase {
  try {
    return new SqliteDatabase(location);
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
