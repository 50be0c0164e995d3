import { classifyPostgresFailure } from './postgres-failure';

describe('classifyPostgresFailure', () => {
  it.each([
    ['53100', 'write_refused'], // disk_full
    ['25006', 'write_refused'], // read_only_sql_transaction
    ['58030', 'write_refused'], // io_error
    ['57P01', 'unavailable'], // admin_shutdown
    ['57P03', 'unavailable'], // cannot_connect_now (starting up)
    ['53300', 'unavailable'], // too_many_connections
    ['08006', 'unavailable'], // connection_failure
    ['ECONNREFUSED', 'unavailable'],
    ['23505', undefined], // unique_violation: a bug, answered 500
    ['42P01', undefined], // undefined_table
  ])('%s → %s', (code, expected) => {
    expect(classifyPostgresFailure(Object.assign(new Error('x'), { code }))).toBe(expected);
  });

  it('treats a dropped connection as unavailable', () => {
    expect(classifyPostgresFailure(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(classifyPostgresFailure('text')).toBeUndefined();
  });
});
