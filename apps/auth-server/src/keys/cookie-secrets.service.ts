import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { AuthServerConfig } from '../config/auth-server.config';
import { KeyMaterialError } from './key-material.error';
import { readJsonFile, writeSecretFile } from './secret-file';

export const COOKIE_SECRETS_FILE_NAME = 'cookie-secrets.json';

/**
 * Secrets that sign the session and interaction cookies. They must outlive a restart, or every
 * signed-in user would be signed out by it: AUTH_SERVER_COOKIE_SECRETS; else, in replicated mode,
 * the ones every replica shares in the database (generated once, encrypted), so a session cookie
 * made by one replica is accepted by all; else generated once into the data folder (0600).
 */
export class CookieSecretsService {
  readonly secrets: readonly string[];

  /** `fromDatabase`: the shared secrets read (or created) at start in replicated mode. */
  constructor(config: AuthServerConfig, fromDatabase?: readonly string[]) {
    this.secrets = config.cookieSecrets ?? fromDatabase ?? loadOrGenerate(resolve(config.dataDir, COOKIE_SECRETS_FILE_NAME));
  }
}

function loadOrGenerate(path: string): string[] {
  let content: unknown;
  try {
    content = readJsonFile(path);
  } catch {
    throw new KeyMaterialError(`${path} is not valid JSON (delete it to generate a new secret, signing everyone out)`);
  }
  if (content === undefined) {
    const secrets = [randomBytes(32).toString('base64url')];
    writeSecretFile(path, `${JSON.stringify({ secrets }, null, 2)}\n`);
    return secrets;
  }
  const secrets = (content as { secrets?: unknown } | null)?.secrets;
  if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((secret) => typeof secret === 'string' && secret.length >= 32)) {
    throw new KeyMaterialError(`${path} must be {"secrets": ["<at least 32 characters>", ...]}`);
  }
  return secrets as string[];
}
