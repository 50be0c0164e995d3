import type { Migration } from '@baton/postgres';

/** The `migrate()` component name of message-service's tables. */
export const MESSAGES_SCHEMA_COMPONENT = 'messages';

/**
 * message-service's tables on PostgreSQL. `seq` orders inboxes and cursors like SQLite's rowid;
 * `text` is BYTEA (UTF-8) because PostgreSQL's TEXT cannot hold U+0000, which SQLite stores and
 * the API accepts; ids are the UUIDs the service makes.
 */
export const MESSAGES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE messages (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id UUID NOT NULL UNIQUE,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        text BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX messages_by_recipient ON messages (recipient, seq DESC);
      CREATE TABLE message_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // DPoP proofs accepted (RFC 9449 §11.1), shared by replicas: a hash of key thumbprint and
    // jti, never the proof; rows past expires_at are dead and swept.
    version: 2,
    sql: `
      CREATE TABLE dpop_proofs (
        proof_hash TEXT PRIMARY KEY,
        expires_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX dpop_proofs_by_expiry ON dpop_proofs (expires_at);
    `,
  },
];
