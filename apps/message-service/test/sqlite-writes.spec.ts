import { workspaceRoot } from '@baton/testing';
import { scanFolders, scanSource } from './sqlite-write-scanner';

/**
 * [H02] node:sqlite's `get()` and `iterate()` step a statement once and ignore the error of the
 * commit that follows: an `INSERT … RETURNING` through `get()` answered rows a full disk never
 * stored. No write statement in the source tree may go through them.
 */
describe('[H02] no SQLite write statement goes through get() or iterate()', () => {
  it('holds for every source file of apps/, libs/, tools/ and bench/', () => {
    const scan = scanFolders(workspaceRoot(), ['apps', 'libs', 'tools', 'bench']);
    expect(scan.unsafe).toEqual([]);
    // The scan saw the writes it guards: message-service's and the auth server's adapter's.
    expect(scan.files).toBeGreaterThan(100);
    expect(scan.writeStatements).toBeGreaterThanOrEqual(9);
  });

  it('finds the write that lost messages on a full disk (message-service before the fix)', () => {
    const before = `
      export class MessagesRepository {
        private readonly insertStatement: StatementSync;
        constructor(private readonly database: SqliteDatabase) {
          const db = database.connection;
          this.insertStatement = db.prepare(
            'INSERT INTO messages (id, sender, recipient, text, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
          );
        }
        insert(message: NewMessage): Message {
          const row = this.insertStatement.get(randomUUID(), message.from, message.to, message.text, createdAt);
          return toMessage(row as unknown as MessageRow);
        }
      }`;
    expect(scanSource('messages.repository.ts', before).unsafe).toEqual([
      {
        file: 'messages.repository.ts',
        line: 11,
        sql: 'INSERT INTO messages (id, sender, recipient, text, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
        problem: 'insertStatement.get() on a write',
      },
    ]);
  });

  it.each([
    ['chained get()', `db.prepare('UPDATE t SET a = 1 RETURNING a').get();`],
    ['chained iterate() on DELETE', `for (const row of db.prepare(\`DELETE FROM t WHERE id = \${id} RETURNING *\`).iterate()) use(row);`],
    ['a variable', `const upsert = db.prepare("INSERT INTO t VALUES (?) ON CONFLICT DO UPDATE SET a = 1"); upsert.get(1);`],
    ['an object property', `const s = { replace: db.prepare('REPLACE INTO t VALUES (1)') }; s.replace.iterate();`],
    ['a constant holding the SQL', `const SQL = 'insert into t values (1) returning *'; const q = db.prepare(SQL); q.get();`],
    ['SQL built at run time', `const q = db.prepare(buildSql()); q.get();`],
    ['a write that cannot be followed', `register(db.prepare('DELETE FROM t'));`],
  ])('finds %s', (_name, code) => {
    expect(scanSource('example.ts', code).unsafe).toHaveLength(1);
  });

  it.each([
    ['run() on a write', `const insert = db.prepare('INSERT INTO t VALUES (?)'); insert.run(1);`],
    ['all() on a write with RETURNING', `db.prepare('INSERT INTO t VALUES (1) RETURNING *').all();`],
    ['get() on a read', `const find = db.prepare('SELECT * FROM t WHERE a = ?'); find.get(1);`],
    ['a read whose data says update', `db.prepare("SELECT * FROM t WHERE word = 'update'").get();`],
    ['exec()', `db.exec('DELETE FROM t');`],
  ])('accepts %s', (_name, code) => {
    expect(scanSource('example.ts', code).unsafe).toEqual([]);
  });
});
