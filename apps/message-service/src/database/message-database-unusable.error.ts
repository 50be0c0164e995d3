/**
 * The message database file cannot be opened or migrated (corrupt, not a database, unreadable).
 * Its message names the file and SQLite's answer, so the start-up failure is one line.
 */
export class MessageDatabaseUnusableError extends Error {
  readonly code = 'message_database_unusable';

  constructor(
    readonly location: string,
    detail: string,
  ) {
    super(`the message database ${location} cannot be used: ${detail}`);
    this.name = 'MessageDatabaseUnusableError';
  }
}
