import { AuthServerConfig } from '../config/auth-server.config';
import { DeclarativeConfig } from '../declarative-config/declarative-config';
import { verifyPassword } from '../passwords/scrypt-password';

/** Client secrets published with the demo (apps/auth-server/config/demo.yaml; `token` is the seed's Spring client's). */
export const DEMO_CLIENT_SECRETS: readonly string[] = ['secret', 'token'];

/** Demo users and their published passwords (`<username>-password`). */
export const DEMO_USERS: readonly string[] = ['alice', 'bob'];

type ReadinessConfig = Pick<
  AuthServerConfig,
  | 'nodeEnv'
  | 'issuer'
  | 'keysFile'
  | 'cookieSecrets'
  | 'allowDemoConfig'
  | 'allowGeneratedKeys'
  | 'allowInsecureIssuer'
  | 'databaseUrl'
  | 'keyEncryptionKey'
  | 'keyEncryptionKeyFile'
>;

/**
 * Replicated mode keeps generated keys and cookie secrets in the database, encrypted under the
 * operator's key encryption key and shared by every replica: provisioned material, not something
 * a lost data folder takes away.
 */
function keysHeldInDatabase(config: ReadinessConfig): boolean {
  return config.databaseUrl !== null && (config.keyEncryptionKey !== null || config.keyEncryptionKeyFile !== null);
}

/**
 * What makes a production auth server unsafe to start, each naming the setting that fixes it:
 * the demo's published secrets and passwords, keys and cookie secrets generated on the fly into the
 * data folder instead of provisioned (or held encrypted in the database), and an issuer without TLS. Empty outside production, or when every
 * problem is explicitly allowed.
 */
export async function productionProblems(config: ReadinessConfig, declarativeConfig: Pick<DeclarativeConfig, 'clients' | 'users' | 'source'>): Promise<string[]> {
  if (config.nodeEnv !== 'production') return [];
  const problems: string[] = [];

  if (!config.allowDemoConfig) {
    const fix = `use your own AUTH_SERVER_CONFIG_FILE (or set AUTH_SERVER_ALLOW_DEMO_CONFIG=true)`;
    for (const client of declarativeConfig.clients) {
      if (client.secret !== undefined && DEMO_CLIENT_SECRETS.includes(client.secret)) {
        problems.push(`client ${client.clientId} in ${declarativeConfig.source} has the demo secret: ${fix}`);
      }
    }
    const demoUsers = await Promise.all(
      declarativeConfig.users
        .filter((user) => DEMO_USERS.includes(user.username))
        .map(async (user) => ((await verifyPassword(`${user.username}-password`, user.passwordHash)) ? user.username : undefined)),
    );
    for (const username of demoUsers) {
      if (username !== undefined) problems.push(`user ${username} in ${declarativeConfig.source} has the demo password: ${fix}`);
    }
  }

  if (!config.allowGeneratedKeys && !keysHeldInDatabase(config)) {
    if (config.keysFile === null) {
      problems.push('signing keys would be generated in the data folder: set AUTH_SERVER_KEYS_FILE (or AUTH_SERVER_ALLOW_GENERATED_KEYS=true)');
    }
    if (config.cookieSecrets === null) {
      problems.push('cookie secrets would be generated in the data folder: set AUTH_SERVER_COOKIE_SECRETS (or AUTH_SERVER_ALLOW_GENERATED_KEYS=true)');
    }
  }

  if (!config.allowInsecureIssuer && new URL(config.issuer).protocol !== 'https:') {
    problems.push(
      `AUTH_SERVER_ISSUER ${config.issuer} is not https: tokens, codes and cookies would travel unencrypted (or set AUTH_SERVER_ALLOW_INSECURE_ISSUER=true)`,
    );
  }
  return problems;
}

/** Stops a production start with one line per problem (exit code 1), before Nest starts. */
export async function refuseUnsafeProductionOrExit(
  config: ReadinessConfig,
  declarativeConfig: Pick<DeclarativeConfig, 'clients' | 'users' | 'source'>,
): Promise<void> {
  const problems = await productionProblems(config, declarativeConfig);
  if (problems.length === 0) return;
  process.stderr.write(`Refusing to start in production (NODE_ENV=production):\n${problems.map((problem) => `  - ${problem}\n`).join('')}`);
  process.exit(1);
}
