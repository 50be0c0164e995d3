import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { workspaceRoot } from '../../../bench/lib/server.mts';

export interface SoakUser {
  username: string;
  password: string;
}

export interface SubjectClient {
  clientId: string;
  secret: string;
}

export interface SoakAccounts {
  configFile: string;
  users: SoakUser[];
  subjectClients: SubjectClient[];
  /** user-service's own client secret (not the demo's, so user-service runs in production mode). */
  userServiceSecret: string;
}

const HELPER = join(workspaceRoot, 'tools', 'soak', 'soak-accounts.ts');
/** Generated users and their scrypt hashes (the slow part, ~50 ms each) are kept between runs. */
const CACHE_DIR = join(workspaceRoot, '.data', 'soak');

/**
 * The soak's declarative auth-server file, written into the run folder: the demo's resource
 * servers (user tokens live `userTokenTtlSeconds`, so that a long run needs no second sign-in)
 * and clients (user-service with a generated secret), `userCount` users who sign in
 * through the login pages, and `subjectCount` confidential clients `soak-subject-NNNNN` allowed
 * client_credentials for user-service: their tokens' `sub` is their client id, which gives the
 * 10,000 distinct subjects without 10,000 interactive logins.
 */
export async function prepareAccounts(
  runDir: string,
  userCount: number,
  subjectCount: number,
  userTokenTtlSeconds: number,
): Promise<SoakAccounts> {
  const users = await cachedUsers(userCount);
  const subjectClients = Array.from({ length: subjectCount }, (_, index) => ({
    clientId: `soak-subject-${String(index + 1).padStart(5, '0')}`,
    secret: randomBytes(18).toString('base64url'),
  }));
  const userServiceSecret = randomBytes(24).toString('base64url');
  const demo = 'http://localhost';
  const config = {
    resourceServers: [
      {
        audience: 'user-service',
        resource: `${demo}:8080`,
        scopes: ['user.read', 'message.read', 'message.write'],
        accessTokenTtl: userTokenTtlSeconds,
      },
      { audience: 'message-service', resource: `${demo}:8081`, scopes: ['message.read', 'message.write'], accessTokenTtl: 300 },
    ],
    clients: [
      {
        clientId: 'user-service',
        secret: userServiceSecret,
        grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
        scopes: ['user.read', 'message.read', 'message.write'],
        // As the demo (issue 16): every exchange must carry a DPoP proof; user-service sends one by default.
        tokenExchange: { subjectAudiences: ['user-service'], targets: ['message-service'], maxScope: ['message.read', 'message.write'], requireDpop: true },
      },
      {
        clientId: 'demo-app',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
        scopes: ['openid', 'profile', 'email', 'user.read', 'message.read', 'message.write'],
        defaultResource: 'user-service',
      },
      ...subjectClients.map((client) => ({
        clientId: client.clientId,
        secret: client.secret,
        grantTypes: ['client_credentials'],
        scopes: ['message.read'],
        defaultResource: 'user-service',
      })),
    ],
    users: users.map((user) => ({ username: user.username, passwordHash: user.passwordHash })),
  };
  const configFile = join(runDir, 'soak-auth-server.yaml');
  writeFileSync(configFile, stringify(config), { mode: 0o600 });
  return {
    configFile,
    users: users.map(({ username, password }) => ({ username, password })),
    subjectClients,
    userServiceSecret,
  };
}

/** Access tokens for user-service, one per user, through the login and consent pages. */
export async function logIn(authUrl: string, runDir: string, users: readonly SoakUser[]): Promise<string[]> {
  const file = join(runDir, `login-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(users), { mode: 0o600 });
  const tokens = JSON.parse(await runHelper(['login', authUrl, file])) as string[];
  if (tokens.length !== users.length || tokens.some((token) => typeof token !== 'string')) throw new Error('login helper answered no token for some user');
  return tokens;
}

async function cachedUsers(count: number): Promise<(SoakUser & { passwordHash: string })[]> {
  const file = join(CACHE_DIR, 'users.json');
  let users: (SoakUser & { passwordHash: string })[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  if (users.length < count) {
    const fresh = JSON.parse(await runHelper(['hash', String(count - users.length)])) as { password: string; passwordHash: string }[];
    users = [
      ...users,
      ...fresh.map((entry, index) => ({ username: `soak-user-${String(users.length + index + 1).padStart(3, '0')}`, ...entry })),
    ];
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(users), { mode: 0o600 });
  }
  return users.slice(0, count);
}

function runHelper(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', HELPER, ...args], {
      cwd: workspaceRoot,
      env: {
        PATH: process.env['PATH'] ?? '',
        TS_NODE_PROJECT: join(workspaceRoot, 'tools', 'soak', 'tsconfig.json'),
        TS_NODE_TRANSPILE_ONLY: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`soak-accounts.ts ${args[0]} failed (${code}): ${errors.trim()}`))));
  });
}
