import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, workspaceRoot } from '@baton/testing';

jest.setTimeout(60_000);

/** Runs the built auth server with `env` until it exits; resolves with its exit code and output. */
function runAuthServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(workspaceRoot(), 'dist', 'apps', 'auth-server', 'main.js')], {
      cwd: workspaceRoot(),
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        AUTH_SERVER_DATA_DIR: mkdtempSync(join(tmpdir(), 'baton-start-failure-')),
        AUTH_SERVER_CONFIG_FILE: join(workspaceRoot(), 'apps', 'auth-server', 'config', 'demo.yaml'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('an auth server that cannot start', () => {
  it('says why in one line, with no stack trace and no database password, and exits 1', async () => {
    const closedPort = await freePort();
    const { code, output } = await runAuthServer({
      AUTH_SERVER_PORT: String(await freePort()),
      AUTH_SERVER_DATABASE_URL: `postgres://baton:not-to-be-logged@127.0.0.1:${closedPort}/baton`,
      AUTH_SERVER_KEY_ENCRYPTION_KEY: 'k'.repeat(40),
    });
    expect(code).toBe(1);
    expect(output).toContain(`auth-server failed to start: Error: connect ECONNREFUSED 127.0.0.1:${closedPort}`);
    expect(output).not.toMatch(/\n\s+at |\\n\s+at /);
    expect(output).not.toContain('"stack"');
    expect(output).not.toContain('not-to-be-logged');
    expect(output).not.toContain('k'.repeat(40));
  });
});
