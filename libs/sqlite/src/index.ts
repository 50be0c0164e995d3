export { describeSqliteError, isStorageFailure } from './lib/sqlite-errors';
