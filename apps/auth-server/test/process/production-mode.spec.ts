import { AppProcess, freePort, workspaceRoot } from '@baton/testing';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(60_000);

const MAIN = join(workspaceRoot(), 'dist', 'apps', 'auth-server', 'main.js');
const DEMO_FILE = join(workspaceRoot(), 'apps', 'auth-server', 'config', 'demo.yaml');
const METRICS_TOKEN = 'm'.repeat(40);

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'auth-server-production-'));
}

/** The built server in production mode with this environment; it must stop by itself. */
function start(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      AUTH_SERVER_PORT: '0',
      AUTH_SERVER_DATA_DIR: folder(),
      AUTH_SERVER_CONFIG_FILE: DEMO_FILE,
      METRICS_TOKEN,
      LOG_LEVEL: 'warn',
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

/** What an operator provisions: their own declarative file (no demo secret or user), keys, cookie secrets. */
function provisioned(): Record<string, string> {
  const directory = folder();
  const configFile = join(directory, 'baton.yaml');
  const demo = readFileSync(DEMO_FILE, 'utf8');
  const own = demo
    .replace('    secret: secret\n', '    secret: a-long-provisioned-secret-of-user-service\n')
    .replace('    secret: token\n', '    secret: a-long-provisioned-secret-of-message-service\n')
    .replace(/\nusers:[\s\S]*$/, '\nusers: []\n');
  writeFileSync(configFile, own);
  const keysFile = join(directory, 'keys.json');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keysFile, JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'production-key', alg: 'ES256' }] }), { mode: 0o600 });
  return { AUTH_SERVER_CONFIG_FILE: configFile, AUTH_SERVER_KEYS_FILE: keysFile, AUTH_SERVER_COOKIE_SECRETS: 'c'.repeat(48) };
}

describe('production mode (NODE_ENV=production)', () => {
  it('refuses the demo setup, naming each problem and the setting that changes it', () => {
    const { status, stderr } = start({});
    expect(status).toBe(1);
    expect(stderr).toBe(
      [
        'Refusing to start in production (NODE_ENV=production):',
        `  - client user-service in ${DEMO_FILE} has the demo secret: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
        `  - client message-service in ${DEMO_FILE} has the demo secret: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
        `  - user alice in ${DEMO_FILE} has the demo password: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
        `  - user bob in ${DEMO_FILE} has the demo password: use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`,
        '  - signing keys would be generated in the data folder: set AUTH_SERVER_KEYS_FILE (or AUTH_SERVER_ALLOW_GENERATED_KEYS=true)',
        '  - cookie secrets would be generated in the data folder: set AUTH_SERVER_COOKIE_SECRETS (or AUTH_SERVER_ALLOW_GENERATED_KEYS=true)',
        '  - AUTH_SERVER_ISSUER http://localhost:9001 is not https: tokens, codes and cookies would travel unencrypted (or set AUTH_SERVER_ALLOW_INSECURE_ISSUER=true)',
        '',
      ].join('\n'),
    );
  });

  it('refuses a provisioned setup that still generates its keys', () => {
    const withoutKeys = Object.fromEntries(Object.entries(provisioned()).filter(([name]) => name !== 'AUTH_SERVER_KEYS_FILE'));
    const { status, stderr } = start({ ...withoutKeys, AUTH_SERVER_ISSUER: 'https://auth.example' });
    expect(status).toBe(1);
    expect(stderr).toBe(
      'Refusing to start in production (NODE_ENV=production):\n  - signing keys would be generated in the data folder: set AUTH_SERVER_KEYS_FILE (or AUTH_SERVER_ALLOW_GENERATED_KEYS=true)\n',
    );
  });

  it('starts when provisioned (own file, keys, cookie secrets, https issuer)', async () => {
    const port = await freePort();
    const server = await AppProcess.start({
      app: 'auth-server',
      env: {
        ...provisioned(),
        NODE_ENV: 'production',
        AUTH_SERVER_PORT: String(port),
        AUTH_SERVER_ISSUER: 'https://auth.example',
        AUTH_SERVER_DATA_DIR: folder(),
        METRICS_TOKEN,
      },
      healthUrl: `http://127.0.0.1:${port}/health`,
    });
    try {
      const jwks = (await (await fetch(`http://127.0.0.1:${port}/oauth2/jwks`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((key) => key.kid)).toEqual(['production-key']);
    } finally {
      await server.stop();
    }
  });

  it('starts with the demo setup when every problem is explicitly allowed', async () => {
    const port = await freePort();
    const server = await AppProcess.start({
      app: 'auth-server',
      env: {
        NODE_ENV: 'production',
        AUTH_SERVER_PORT: String(port),
        AUTH_SERVER_ISSUER: `http://127.0.0.1:${port}`,
        AUTH_SERVER_DATA_DIR: folder(),
        AUTH_SERVER_CONFIG_FILE: DEMO_FILE,
        AUTH_SERVER_ALLOW_DEMO_CONFIG: 'true',
        AUTH_SERVER_ALLOW_GENERATED_KEYS: 'true',
        AUTH_SERVER_ALLOW_INSECURE_ISSUER: 'true',
        METRICS_TOKEN,
      },
      healthUrl: `http://127.0.0.1:${port}/health`,
    });
    await server.stop();
  });
});
