import type { Pool } from 'pg';
import { withTransaction } from './postgres-pool';

/** One schema change: applied once, in order, inside the transaction that records it. */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings `component`'s tables to the newest version at start. Idempotent, and safe when several
 * replicas start at once: everything runs in one transaction that first takes a transaction-level
 * advisory lock (one for all components), so a second replica waits, then finds the work done (even
 * `CREATE TABLE IF NOT EXISTS` can fail with a unique violation when two sessions race it without
 * a lock). A database newer than this code is refused instead of being used half-understood.
 */
export async function migrate(pool: Pool, component: string, migrations: readonly Migration[]): Promise<MigrationResult> {
  const newest = migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
  return withTransaction(pool, async (client) => {
    // One lock for every component, not one per component: two components of one process (or of
    // two replicas) migrating at once would otherwise race on creating baton_schema_version
    // (23505 on pg_type). Migrations are rare and short; serialising them all costs nothing.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['baton:migrate']);
    await client.query(`CREATE TABLE IF NOT EXISTS baton_schema_version (
      component TEXT PRIMARY KEY,
      version INTEGER NOT NULL,
      migrated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM baton_schema_version WHERE component = $1', [component]);
    const from = rows[0]?.version ?? 0;
    if (from > newest) {
      throw new Error(`the database has ${component} schema version ${from}; this build knows up to ${newest}`);
    }
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version > from) await client.query(migration.sql);
    }
    await client.query(
      `INSERT INTO baton_schema_version (component, version) VALUES ($1, $2)
       ON CONFLICT (component) DO UPDATE SET version = excluded.version, migrated_at = now()`,
      [component, Math.max(from, newest)],
    );
    return { from, to: Math.max(from, newest) };
  });
}
