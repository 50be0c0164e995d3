import { MessageListResponse, MessageResponse } from '@baton/dto';
import { AppProcess, AuthServerHarness, freePort, startAuthServer, workspaceRoot } from '@baton/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** message-service as a real process (the built bundle), on a database file. */
describe('message-service process', () => {
  let auth: AuthServerHarness;
  let folder: string;

  beforeAll(async () => {
    auth = await startAuthServer();
    folder = mkdtempSync(join(tmpdir(), 'message-service-'));
  }, 60_000);

  afterAll(async () => {
    await auth?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  async function start(database: string): Promise<{ process: AppProcess; url: string }> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const process = await AppProcess.start({
      app: 'message-service',
      env: { MESSAGE_SERVICE_PORT: String(port), MESSAGE_SERVICE_DATABASE: database, AUTH_ISSUER: auth.issuer },
      healthUrl: `${url}/health`,
    });
    return { process, url };
  }

  it('keeps its data across a restart on the same database file, and seeds the demo only once', async () => {
    const database = join(folder, 'data', 'messages.sqlite');
    const scope = 'openid message.read message.write';
    const bob = (await auth.login('bob', 'bob-password', { resource: 'message-service', scope })).access_token;
    const alice = (await auth.login('alice', 'alice-password', { resource: 'message-service', scope })).access_token;
    const get = async (url: string, token: string) => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, etag: response.headers.get('etag'), body: (await response.json()) as MessageListResponse };
    };

    const first = await start(database);
    const before = await get(`${first.url}/api/messages?limit=100`, alice);
    expect(before.status).toBe(200);
    // useHttpHygiene's noStore turns Express's ETag off: a no-store answer is never revalidated, and hashing it costs.
    expect(before.etag).toBeNull();
    const seeded = before.body.messages.length;
    expect(seeded).toBeGreaterThan(0);
    const posted = await fetch(`${first.url}/api/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'alice', text: 'Still here after a restart?' }),
    });
    expect(posted.status).toBe(201);
    const message = (await posted.json()) as MessageResponse;
    await first.process.stop();
    // SIGTERM closed the database cleanly: the write-ahead log was checkpointed and removed.
    expect(existsSync(database)).toBe(true);
    expect(existsSync(`${database}-wal`)).toBe(false);

    const second = await start(database);
    try {
      const after = await get(`${second.url}/api/messages?limit=100`, alice);
      expect(after.body.messages).toHaveLength(seeded + 1);
      expect(after.body.messages[0]).toEqual(message);
      const byId = await fetch(`${second.url}/api/messages/${message.id}`, { headers: { authorization: `Bearer ${bob}` } });
      expect(await byId.json()).toEqual(message);
    } finally {
      await second.process.stop();
    }
  }, 60_000);

  it('stops at start with one line naming a bad setting', () => {
    const result = spawnSync(process.execPath, [join(workspaceRoot(), 'dist', 'apps', 'message-service', 'main.js')], {
      env: { PATH: process.env['PATH'] ?? '', MESSAGE_SERVICE_PORT: 'abc' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: MESSAGE_SERVICE_PORT must be a port number, got "abc"');
  });
});
