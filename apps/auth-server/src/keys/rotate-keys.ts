import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { AuthServerConfig } from '../config/auth-server.config';
import { DeclarativeConfig } from '../declarative-config/declarative-config';
import { ID_TOKEN_TTL_SECONDS } from '../oidc/oidc.constants';
import { KeyMaterialError } from './key-material.error';
import { DatabaseKeyStore } from './database-key-store';
import { KeyEncryption } from './key-encryption';
import { Rotation, rotateKeySet, serializeKeySet } from './key-rotation';
import { readJsonFile, writeSecretFile } from './secret-file';
import { parseKeySet, SIGNING_KEYS_FILE_NAME } from './signing-keys.service';

/**
 * Resource servers refetch the JWKS on an unknown `kid` at most once per interval (15 s by
 * default, AUTH_JWKS_REFETCH_INTERVAL_SECONDS): a new key published this long before it signs is
 * known to all of them by then, even right after they fetched.
 */
export const DEFAULT_ACTIVATION_DELAY_SECONDS = 30;

/** The resource servers' largest allowed clock tolerance (AUTH_CLOCK_TOLERANCE_SECONDS ≤ 300). */
export const RETIREMENT_MARGIN_SECONDS = 300;

export interface RotateKeysOptions {
  readonly config: Pick<AuthServerConfig, 'dataDir' | 'keysFile' | 'signingAlgorithm'>;
  readonly declarativeConfig: Pick<DeclarativeConfig, 'resourceServers'>;
  readonly activationDelaySeconds: number;
  readonly now?: number;
}

export interface RotateKeysResult extends Rotation {
  readonly file: string;
  readonly retireAfterSeconds: number;
}

/**
 * The longest a token signed by a key can be in use: the longest access token lifetime of any
 * resource server (exchanged tokens never outlive their subject token), or the ID token lifetime,
 * plus the resource servers' clock tolerance.
 */
export function longestTokenLifetimeSeconds(declarativeConfig: Pick<DeclarativeConfig, 'resourceServers'>): number {
  const accessTokens = declarativeConfig.resourceServers.map((server) => server.accessTokenTtl);
  return Math.max(ID_TOKEN_TTL_SECONDS, ...accessTokens) + RETIREMENT_MARGIN_SECONDS;
}

/**
 * `nx run auth-server:rotate-keys`: adds a signing key to the file the server reads its keys from
 * (AUTH_SERVER_KEYS_FILE, or signing-keys.json in the data folder) and schedules the change. The
 * running server notices the new file within a second: it publishes the new key at once, signs
 * with it after the activation delay, and stops publishing the old one once every token it signed
 * has expired. Atomic (write then rename), so the server never reads half a file.
 */
export function rotateKeys(options: RotateKeysOptions): RotateKeysResult {
  const { config } = options;
  const file = resolve(config.keysFile ?? resolve(config.dataDir, SIGNING_KEYS_FILE_NAME));
  let content: unknown;
  try {
    content = readJsonFile(file);
  } catch {
    throw new KeyMaterialError(`${file} is not valid JSON`);
  }
  if (content === undefined) {
    throw new KeyMaterialError(`${file} does not exist: start the auth server once (it generates its first key) or set AUTH_SERVER_KEYS_FILE`);
  }
  const keySet = parseKeySet(content, file);
  const retireAfterSeconds = longestTokenLifetimeSeconds(options.declarativeConfig);
  const rotation = rotateKeySet(keySet, {
    algorithm: config.signingAlgorithm,
    now: options.now ?? Date.now(),
    activationDelayMs: options.activationDelaySeconds * 1000,
    retireAfterMs: retireAfterSeconds * 1000,
  });
  writeSecretFile(file, serializeKeySet(rotation.keySet));
  return { ...rotation, file, retireAfterSeconds };
}

export interface RotateKeysInDatabaseOptions extends Omit<RotateKeysOptions, 'config'> {
  readonly config: Pick<AuthServerConfig, 'signingAlgorithm' | 'keyEncryptionKey' | 'keyEncryptionKeyFile'>;
  readonly pool: Pool;
}

/**
 * The same rotation on the key set the replicas share in the database (AUTH_SERVER_DATABASE_URL
 * without AUTH_SERVER_KEYS_FILE): one transaction holding the key state's row lock, so a second
 * rotation at the same moment waits and then rotates the result of the first. Every replica sees
 * the new version within a second or two and follows the schedule, without a restart.
 */
export async function rotateKeysInDatabase(options: RotateKeysInDatabaseOptions): Promise<RotateKeysResult & { readonly version: number }> {
  const store = new DatabaseKeyStore(options.pool, KeyEncryption.fromConfig(options.config));
  const retireAfterSeconds = longestTokenLifetimeSeconds(options.declarativeConfig);
  let rotation: Rotation & { readonly version: number };
  try {
    // The clock is read under the row lock: a rotation that waited for another one schedules
    // against the key set it reads and the time it reads it, never against a moment before the
    // other's activation (which would take that new key for a pending one and replace it).
    rotation = await store.update((keySet) =>
      rotateKeySet(keySet, {
        algorithm: options.config.signingAlgorithm,
        now: options.now ?? Date.now(),
        activationDelayMs: options.activationDelaySeconds * 1000,
        retireAfterMs: retireAfterSeconds * 1000,
      }),
    );
  } catch (error) {
    // 42P01 undefined_table: no auth server ever started on this database.
    if ((error as { code?: unknown }).code === '42P01') {
      throw new KeyMaterialError('the database holds no signing keys yet: start the auth server once (it generates its first key)');
    }
    throw error;
  }
  return { ...rotation, file: 'the database', retireAfterSeconds };
}

/** `--activation-delay=<seconds>` (or `--activation-delay <seconds>`); anything else is refused. */
export function parseRotateKeysArguments(argv: readonly string[]): { activationDelaySeconds: number } {
  let activationDelaySeconds = DEFAULT_ACTIVATION_DELAY_SECONDS;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    const [name, inline] = argument.split('=', 2) as [string, string | undefined];
    if (name !== '--activation-delay') throw new Error(`unknown argument ${JSON.stringify(argument)}`);
    const value = inline ?? argv[(index += 1)];
    if (value === undefined || !/^\d+$/.test(value)) throw new Error('--activation-delay must be a whole number of seconds');
    activationDelaySeconds = Number(value);
  }
  return { activationDelaySeconds };
}
