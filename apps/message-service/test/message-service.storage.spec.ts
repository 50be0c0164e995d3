import { MessageListResponse, MessageResponse } from '@baton/dto';
import { AppProcess, AuthServerHarness, freePort, jsonLogLines, startAuthServer, workspaceRoot } from '@baton/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageLimitedProcess } from './storage-limited-process';

/** Bytes any file of the process may grow to: the schema fits, a few dozen 1,900-character messages do not. */
const FILE_SIZE_LIMIT = 256 * 1024;

/**
 * message-service as a real process (the built bundle) when its storage fails: full disk, corrupt
 * file, file permissions.
 */
describe('message-service storage (process)', () => {
  let auth: AuthServerHarness;
  let folder: string;
  let bob: string;
  let alice: string;

  beforeAll(async () => {
    auth = await startAuthServer();
    folder = mkdtempSync(join(tmpdir(), 'message-service-storage-'));
    const scope = 'openid message.read message.write';
    bob = (await auth.login('bob', 'bob-password', { resource: 'message-service', scope })).access_token;
    alice = (await auth.login('alice', 'alice-password', { resource: 'message-service', scope })).access_token;
  }, 60_000);

  afterAll(async () => {
    await auth?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const environment = (port: number, database: string): Record<string, string> => ({
    MESSAGE_SERVICE_PORT: String(port),
    MESSAGE_SERVICE_DATABASE: database,
    MESSAGE_SERVICE_SEED_DEMO_DATA: 'false',
    AUTH_ISSUER: auth.issuer,
  });

  const post = (url: string, text: string) =>
    fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'alice', text }),
    });

  /** Every message id in alice's inbox, page by page. */
  async function inboxIds(url: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? 'limit=100' : `limit=100&cursor=${cursor}`;
      const response = await fetch(`${url}/api/messages?${query}`, { headers: { authorization: `Bearer ${alice}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as MessageListResponse;
      ids.push(...page.messages.map((message) => message.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    return ids;
  }

  it('[H02] answers 507 insufficient_storage instead of acknowledging a message the full disk did not store; every 201 survives a restart; not ready until space is back', async () => {
    const database = join(folder, 'full', 'messages.sqlite');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const limited = await StorageLimitedProcess.start(environment(port, database), FILE_SIZE_LIMIT, `${url}/health/ready`);
    const acknowledged: string[] = [];
    try {
      let refused: Response | undefined;
      for (let attempt = 0; attempt < 400 && refused === undefined; attempt += 1) {
        const answer = await post(url, `message ${attempt} `.padEnd(1900, 'x'));
        if (answer.status === 201) acknowledged.push(((await answer.json()) as MessageResponse).id);
        else refused = answer;
      }
      // Today's code acknowledged all 400 here, and most of them were gone.
      expect(refused?.status).toBe(507);
      expect(refused?.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await refused?.json()) as Record<string, unknown>;
      expect(body).toEqual({
        error: 'insufficient_storage',
        message: 'The server could not store this; nothing was stored. Try again later.',
      });
      expect(acknowledged.length).toBeGreaterThan(0);

      // The same message again: still refused while the disk is full, and the instance leaves the load balancer.
      const again = await post(url, 'still full? '.padEnd(1900, 'x'));
      expect(again.status).toBe(507);
      expect(((await again.json()) as { error: string }).error).toBe('insufficient_storage');
      const notReady = await fetch(`${url}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(JSON.stringify(await notReady.json())).toContain('the database cannot write');
      expect(await inboxIds(url)).toEqual([...acknowledged].reverse());

      // One log line per refused write, naming SQLite's answer, no stack trace; the answers said none of it.
      const refusals = jsonLogLines(limited.logs).filter((line) => String(line.msg).startsWith('write refused by the database'));
      expect(refusals.length).toBeGreaterThanOrEqual(2);
      expect(refusals[0]).toMatchObject({ level: 'error' });
      expect(String(refusals[0]?.msg)).toMatch(/SQLITE_(IOERR|FULL) \(\d+\)/);
      expect(limited.logs).not.toMatch(/\n\s+at /);
      expect(JSON.stringify(body)).not.toMatch(/SQLITE|disk I\/O/);

      // Space is back: the next readiness probe writes, the service is ready and stores again.
      limited.lift();
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(200);
      const stored = await post(url, 'space is back');
      expect(stored.status).toBe(201);
      acknowledged.push(((await stored.json()) as MessageResponse).id);
    } finally {
      await limited.stop();
    }

    // Every message that got 201, and nothing else, is there after a restart.
    const restarted = await AppProcess.start({
      app: 'message-service',
      env: environment(port, database),
      healthUrl: `${url}/health/ready`,
    });
    try {
      expect(await inboxIds(url)).toEqual([...acknowledged].reverse());
    } finally {
      await restarted.stop();
    }
  }, 120_000);

  it('[H15] creates its database, write-ahead log and shared-memory files owner-only (0600)', async () => {
    const database = join(folder, 'modes', 'messages.sqlite');
    const port = await freePort();
    const running = await AppProcess.start({
      app: 'message-service',
      env: environment(port, database),
      healthUrl: `http://127.0.0.1:${port}/health/ready`,
    });
    try {
      for (const file of [database, `${database}-wal`, `${database}-shm`]) {
        expect(existsSync(file)).toBe(true);
        expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
      }
    } finally {
      await running.stop();
    }
  }, 60_000);

  it('[H15] stops on a corrupt database with exit code 1 and one JSON line naming the file, no stack trace', () => {
    const corrupt = join(folder, 'corrupt.sqlite');
    writeFileSync(corrupt, 'this is not a SQLite database '.repeat(200));
    const result = spawnSync(process.execPath, [join(workspaceRoot(), 'dist', 'apps', 'message-service', 'main.js')], {
      cwd: workspaceRoot(),
      env: { PATH: process.env['PATH'] ?? '', MESSAGE_SERVICE_DATABASE: corrupt, AUTH_ISSUER: auth.issuer, MESSAGE_SERVICE_PORT: '65001' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    const output = `${result.stdout}${result.stderr}`.trim();
    expect(output.split('\n')).toHaveLength(1);
    expect(JSON.parse(output)).toEqual({
      level: 'fatal',
      time: expect.any(String),
      service: 'message-service',
      error: 'message_database_unusable',
      msg: `message-service failed to start: the message database ${corrupt} cannot be used: SQLite error (26): file is not a database`,
    });
  });
});
