import type { MessageListResponse, TokenSet } from '@baton/dto';
import { freePort, workspaceRoot } from '@baton/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlackHole } from './support/black-hole';
import { call } from './support/http';
import { NodeScript } from './support/node-script';
import { isListening } from './support/ports';

/** What `npm start` runs once the three apps are built. */
const RUNNER = join(workspaceRoot(), 'tools', 'start', 'start.mjs');

describe('npm start (tools/start/start.mjs)', () => {
  let dataDir: string;
  let ports: { auth: number; message: number; user: number };
  let env: Record<string, string>;
  let runner: NodeScript | undefined;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'baton-e2e-start-'));
    ports = { auth: await freePort(), message: await freePort(), user: await freePort() };
    env = {
      AUTH_SERVER_PORT: String(ports.auth),
      MESSAGE_SERVICE_PORT: String(ports.message),
      USER_SERVICE_PORT: String(ports.user),
      AUTH_SERVER_DATA_DIR: join(dataDir, 'auth-server'),
      MESSAGE_SERVICE_DATABASE: join(dataDir, 'messages.sqlite'),
    };
  });

  afterEach(async () => {
    if (runner !== undefined && runner.child.exitCode === null) {
      runner.child.kill('SIGTERM');
      await runner.finished;
    }
    runner = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const allStopped = async () =>
    !(await isListening(ports.auth)) && !(await isListening(ports.message)) && !(await isListening(ports.user));

  it('runs the three services with prefixed logs, wired to each other, and one SIGINT stops them all', async () => {
    runner = new NodeScript(RUNNER, env);
    await runner.waitFor(/baton\s+│ ready /);
    for (const name of ['auth-server', 'message-service', 'user-service']) {
      expect(runner.output).toMatch(new RegExp(`^${name}\\s*│ .*\\S`, 'm'));
    }

    // The seed's walkthrough against them: the issuer followed AUTH_SERVER_PORT, and user-service
    // found message-service at MESSAGE_SERVICE_PORT.
    const token = await call<TokenSet>(`http://127.0.0.1:${ports.auth}/oauth2/token`, {
      form: { grant_type: 'client_credentials', client_id: 'user-service', client_secret: 'secret' },
    });
    expect(token.status).toBe(200);
    const messages = await call<MessageListResponse>(`http://127.0.0.1:${ports.user}/api/users/messages`, {
      token: token.body.access_token,
    });
    expect(messages.status).toBe(200);
    expect(messages.body).toMatchObject({ subject: 'user-service', actor: 'user-service' });

    runner.child.kill('SIGINT');
    const result = await runner.finished;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/stopping auth-server, message-service, user-service \.\.\.\n[\s\S]*all services stopped\n$/);
    expect(await allStopped()).toBe(true);
  });

  it('names the service whose port is already in use, before starting anything', async () => {
    const squatter = await BlackHole.listen(ports.message);
    try {
      const result = await NodeScript.run(RUNNER, env);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `npm start: cannot start:\n  message-service: port ${ports.message} is already in use. Stop what uses it, or choose another port with MESSAGE_SERVICE_PORT=<port>.\n`,
      );
      expect(result.stdout).toBe('');
      expect(await isListening(ports.auth)).toBe(false);
      expect(await isListening(ports.user)).toBe(false);
    } finally {
      await squatter.close();
    }
  });

  it('refuses two services on one port', async () => {
    const result = await NodeScript.run(RUNNER, { ...env, USER_SERVICE_PORT: String(ports.auth) });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `npm start: auth-server and user-service are both set to port ${ports.auth} (AUTH_SERVER_PORT, USER_SERVICE_PORT)\n`,
    );
  });

  it('reports a port taken after the check (EADDRINUSE from the service itself), naming it, and stops the others', async () => {
    runner = new NodeScript(RUNNER, env);
    await runner.waitFor(/are free; starting/);
    // Taken between the runner's check and user-service's listen().
    const squatter = await BlackHole.listen(ports.user);
    try {
      const result = await runner.finished;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `npm start: user-service port ${ports.user} is already in use (EADDRINUSE): stop what uses it, or choose another port with USER_SERVICE_PORT=<port>`,
      );
      expect(await isListening(ports.auth)).toBe(false);
      expect(await isListening(ports.message)).toBe(false);
    } finally {
      await squatter.close();
    }
  });
});
