import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@baton/testing';

jest.setTimeout(60_000);

const MAIN = join(workspaceRoot(), 'dist', 'apps', 'auth-server', 'main.js');
const DEMO = readFileSync(join(workspaceRoot(), 'apps', 'auth-server', 'config', 'demo.yaml'), 'utf8');

/** Runs the built server with the environment given; it must stop by itself. */
function start(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const directory = mkdtempSync(join(tmpdir(), 'auth-server-startup-'));
  const result = spawnSync(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', AUTH_SERVER_PORT: '0', AUTH_SERVER_DATA_DIR: directory, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

function configFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'auth-server-config-')), 'broken.yaml');
  writeFileSync(file, content);
  return file;
}

describe('a broken configuration stops the server at start with one line naming the problem', () => {
  it.each([
    [
      'an unknown client field',
      DEMO.replace('    secret: secret\n', '    secrett: secret\n'),
      'clients[0].secrett: unknown field (allowed: clientId, secret, grantTypes, redirectUris, scopes, defaultResource, tokenExchange, clientCredentials, introspection)',
    ],
    [
      'a missing secret',
      DEMO.replace('    secret: secret\n', ''),
      'clients[0].secret: is required for grant type client_credentials (a public client cannot authenticate)',
    ],
    [
      'a bad resource URL',
      DEMO.replace('resource: http://localhost:8081', 'resource: localhost:8081'),
      'resourceServers[1].resource: must be an absolute http(s) URL, got "localhost:8081"',
    ],
    [
      'a bad redirect URI',
      DEMO.replace('- http://localhost/callback', '- not a url'),
      'clients[2].redirectUris[1]: must be an absolute URL, got "not a url"',
    ],
    [
      'a password in clear',
      DEMO.replace(/passwordHash: "[^"]+"\n {4}name: Bob/, 'password: bob-password\n    name: Bob'),
      'users[1].password: passwords are never stored in clear: use passwordHash (npm run hash-password)',
    ],
    [
      // A user named like a client would be the same principal at the resource servers.
      '[H09] a username equal to a client id',
      DEMO.replace('  - username: bob\n', '  - username: user-service\n'),
      'users[1].username: "user-service" is also the clientId of clients[0]: a user and a client would be one principal at the resource servers',
    ],
  ])('%s', (_case, content, problem) => {
    const file = configFile(content);
    const { status, stderr, stdout } = start({ AUTH_SERVER_CONFIG_FILE: file });
    expect(status).toBe(1);
    expect(stderr).toBe(`Invalid configuration file ${file}: ${problem}\n`);
    expect(stdout).toBe('');
  });

  it('a missing file', () => {
    const { status, stderr } = start({ AUTH_SERVER_CONFIG_FILE: '/nonexistent/baton.yaml' });
    expect(status).toBe(1);
    expect(stderr).toBe('Invalid configuration file /nonexistent/baton.yaml: file not found (set AUTH_SERVER_CONFIG_FILE)\n');
  });

  it('a bad environment variable', () => {
    const { status, stderr } = start({ AUTH_SERVER_PORT: 'abc' });
    expect(status).toBe(1);
    expect(stderr).toBe('Invalid configuration: AUTH_SERVER_PORT must be a port number, got "abc"\n');
  });

  it('a keys file without a key for the signing algorithm', () => {
    const directory = mkdtempSync(join(tmpdir(), 'auth-server-keys-'));
    const keysFile = join(directory, 'keys.json');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keysFile, JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'ed', alg: 'EdDSA' }] }));
    const { status, stderr } = start({ AUTH_SERVER_KEYS_FILE: keysFile });
    expect(status).toBe(1);
    expect(stderr).toBe(`Invalid keys: AUTH_SERVER_KEYS_FILE ${keysFile} has no ES256 key (AUTH_SERVER_SIGNING_ALG)\n`);
  });
});
