/**
 * Rotates the auth server's signing key without a restart:
 *   npx nx run auth-server:rotate-keys                          (new key signs in 30 s)
 *   npx nx run auth-server:rotate-keys --activation-delay=60
 *   node dist/apps/auth-server/rotate-keys.js                   (in the container: same environment as the server)
 * It reads the server's configuration (AUTH_SERVER_DATA_DIR or AUTH_SERVER_KEYS_FILE,
 * AUTH_SERVER_SIGNING_ALG, AUTH_SERVER_CONFIG_FILE for token lifetimes). docs/reliability.md has the procedure.
 */
import { loadConfigOrExit } from '@baton/config';
import { authServerConfig } from '../config/auth-server.config';
import { loadDeclarativeConfigOrExit } from '../declarative-config/load-declarative-config';
import { KeyMaterialError } from './key-material.error';
import { parseRotateKeysArguments, rotateKeys } from './rotate-keys';

function main(): void {
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
    const result = rotateKeys({ config, declarativeConfig, activationDelaySeconds });
    const lines = [
      `rotated the signing keys in ${result.file}`,
      `  new ${result.added.alg} key ${result.added.kid}: published now, signs from ${new Date(result.activateAt).toISOString()}`,
      result.previous === undefined
        ? '  no key was signing before'
        : `  previous key ${result.previous.kid}: signs until then, published until ${new Date(result.retireAt).toISOString()} (longest token lifetime ${result.retireAfterSeconds} s)`,
      ...result.removed.map((kid) => `  removed key ${kid} (retired, or never activated)`),
      'a running auth server picks this up within a second; no restart needed',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    if (!(error instanceof KeyMaterialError)) throw error;
    process.stderr.write(`Invalid keys: ${error.message}\n`);
    process.exitCode = 1;
  }
}

main();
