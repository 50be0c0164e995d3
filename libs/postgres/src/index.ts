export { createPostgresPool, isPostgresUrl, redactPostgresUrl, withTransaction } from './lib/postgres-pool';
export type { PostgresPoolOptions } from './lib/postgres-pool';
export { describePostgresError, isDatabaseUnavailable } from './lib/postgres-errors';
export { migrate } from './lib/migrations';
export type { Migration, MigrationResult } from './lib/migrations';
