/**
 * Rotates the auth server's signing key without a restart:
 *   npx nx run auth-server:rotate-keys                          (new key signs in 30 s)
 *   npx nx run auth-server:rotate-keys --activation-delay=60
 *   node dist/apps/auth-server/rotate-keys.js                   (in the container: same environment as the server)
 * It reads the server's configuration (AUTH_SERVER_DATA_DIR or AUTH_SERVER_KEYS_FILE, or
 * AUTH_SERVER_DATABASE_URL with the key encryption key; AUTH_SERVER_SIGNING_ALG;
 * AUTH_SERVER_CONFIG_FILE for token lifetimes). docs/reliability.md has the procedure.
 */
import { loadConfigOrExit } from '@baton/config';
import { createPostgresPool, describePostgresError, redactPostgresUrl } from '@baton/postgres';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { DeclarativeConfig } from '../declarative-config/declarative-config';
import { loadDeclarativeConfigOrExit } from '../declarative-config/load-declarative-config';
import { KeyMaterialError } from './key-material.error';
import { parseRotateKeysArguments, RotateKeysResult, rotateKeys, rotateKeysInDatabase } from './rotate-keys';

/** In replicated mode (a database URL, no keys file) the shared key set; otherwise the file, as before. */
async function rotate(config: AuthServerConfig, declarativeConfig: DeclarativeConfig, activationDelaySeconds: number): Promise<{ result: RotateKeysResult; where: string; followers: string }> {
  if (config.databaseUrl === null || config.keysFile !== null) {
    const result = rotateKeys({ config, declarativeConfig, activationDelaySeconds });
    return { result, where: result.file, followers: 'a running auth server picks this up within a second; no restart needed' };
  }
  const pool = createPostgresPool(config.databaseUrl, { applicationName: 'baton-rotate-keys', max: 1 });
  try {
    const result = await rotateKeysInDatabase({ config, declarativeConfig, activationDelaySeconds, pool });
    return {
      result,
      where: `the database ${redactPostgresUrl(config.databaseUrl)} (key set version ${result.version})`,
      followers: 'every running auth-server replica picks this up within a few seconds; no restart needed',
    };
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  let activationDelaySeconds: number;
  try {
    ({ activationDelaySeconds } = parseRotateKeysArguments(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nUsage: rotate-keys [--activation-delay=<seconds>]\n`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfigOrExit(authServerConfig);
  const declarativeConfig = loadDeclarativeConfigOrExit(config.configFile);
  try {
    const { result, where, followers } = await rotate(config, declarativeConfig, activationDelaySeconds);
    const lines = [
      `rotated the signing keys in ${where}`,
      `  new ${result.added.alg} key ${result.added.kid}: published now, signs from ${new Date(result.activateAt).toISOString()}`,
      result.previous === undefined
        ? '  no key was signing before'
        : `  previous key ${result.previous.kid}: signs until then, published until ${new Date(result.retireAt).toISOString()} (longest token lifetime ${result.retireAfterSeconds} s)`,
      ...result.removed.map((kid) => `  removed key ${kid} (retired, or never activated)`),
      followers,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    if (error instanceof KeyMaterialError) {
      process.stderr.write(`Invalid keys: ${error.message}\n`);
    } else {
      // A database that cannot be reached, or refused the rotation: one line, no stack, no URL.
      process.stderr.write(`rotate-keys failed, nothing changed: ${describePostgresError(error)}\n`);
    }
    process.exitCode = 1;
  }
}

void main();
