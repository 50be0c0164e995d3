import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { Migration, migrate, withTransaction } from '@baton/postgres';
import { SigningAlgorithm } from '../config/auth-server.config';
import { KeyEncryption, SealedValueError } from './key-encryption';
import { KeyMaterialError } from './key-material.error';
import { KeyScheduleEntry, KeySet, selectActiveKeys } from './key-rotation';
import { generateSigningKey, SigningKey, signingKeyFromJwk } from './signing-key';

/**
 * The tables of the key set, shared by every replica. The schedule is in clear (an operator may
 * read it: `SELECT kid, activate_at, retire_at FROM auth_server_signing_keys ORDER BY position`);
 * private material only sealed (KeyEncryption). `version` grows with every change of the key set:
 * the one cheap value every replica checks each second.
 */
export const KEYS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE auth_server_key_state (
        id SMALLINT PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        key_check TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE TABLE auth_server_signing_keys (
        kid TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        alg TEXT NOT NULL,
        sealed_private_jwk TEXT NOT NULL,
        activate_at TIMESTAMPTZ,
        retire_at TIMESTAMPTZ
      );
      CREATE TABLE auth_server_cookie_secrets (
        position INTEGER PRIMARY KEY,
        sealed_secret TEXT NOT NULL
      );`,
  },
];

/** Serialises every writer of the key set (first starts of several replicas at once, rotations). */
const WRITERS_LOCK = 'baton:auth-server:keys';
const KEY_CHECK_IDENTITY = 'key-check';
const KEY_CHECK_TEXT = 'baton auth-server key encryption check';
const keyIdentity = (kid: string): string => `signing-key:${kid}`;
const cookieSecretIdentity = (position: number): string => `cookie-secret:${position}`;

export interface DatabaseKeySet {
  readonly keySet: KeySet;
  /** The `version` of the key state this key set was read at. */
  readonly version: number;
}

export interface DatabaseKeyMaterial {
  /** Undefined when the signing keys come from AUTH_SERVER_KEYS_FILE instead. */
  readonly signing: (DatabaseKeySet & { readonly generated: readonly string[] }) | undefined;
  /** Undefined when AUTH_SERVER_COOKIE_SECRETS provides them instead. */
  readonly cookieSecrets: readonly string[] | undefined;
}

interface KeyRow {
  kid: string;
  sealed_private_jwk: string;
  activate_at: Date | null;
  retire_at: Date | null;
}

/**
 * The signing key set and the cookie secrets in PostgreSQL (replicated mode), private material
 * encrypted. Writers take a row lock on the state row (and, at first start, an advisory lock, as
 * that row may not exist yet), so two replicas starting at once end with one key set, and two
 * rotations at once both count.
 */
export class DatabaseKeyStore {
  constructor(
    private readonly pool: Pool,
    private readonly encryption: KeyEncryption,
  ) {}

  async migrate(): Promise<void> {
    await migrate(this.pool, 'keys', KEYS_MIGRATIONS);
  }

  /**
   * At start: reads the key set and cookie secrets, creating what is missing (the first key, a
   * key of `algorithm` when none may sign, the first cookie secret) under the writers' lock, so
   * that replicas starting together all read what the first one made.
   */
  async loadOrCreate(options: { algorithm: SigningAlgorithm | undefined; cookieSecrets: boolean; now?: number }): Promise<DatabaseKeyMaterial> {
    const now = options.now ?? Date.now();
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [WRITERS_LOCK]);
      let version = await this.lockState(client);
      if (version === undefined) {
        await client.query('INSERT INTO auth_server_key_state (id, version, key_check) VALUES (1, 0, $1)', [
          this.encryption.seal(KEY_CHECK_TEXT, KEY_CHECK_IDENTITY),
        ]);
        version = 0;
      }
      let signing: DatabaseKeyMaterial['signing'];
      if (options.algorithm !== undefined) {
        const stored = await this.readKeys(client);
        const generated: string[] = [];
        let keySet = stored;
        if (selectActiveKeys(stored, options.algorithm, now) === undefined) {
          // No key yet, or none of this algorithm may sign: a new one signs from now on, the others stay published.
          const key = generateSigningKey(options.algorithm);
          keySet = { keys: [key, ...stored.keys], schedule: stored.schedule };
          generated.push(key.kid);
          version = await this.writeKeySet(client, keySet);
        }
        signing = { keySet, version, generated };
      }
      let cookieSecrets: string[] | undefined;
      if (options.cookieSecrets) {
        cookieSecrets = await this.readCookieSecrets(client);
        if (cookieSecrets.length === 0) {
          cookieSecrets = [randomBytes(32).toString('base64url')];
          await client.query('INSERT INTO auth_server_cookie_secrets (position, sealed_secret) VALUES (0, $1)', [
            this.encryption.seal(cookieSecrets[0] as string, cookieSecretIdentity(0)),
          ]);
        }
      }
      return { signing, cookieSecrets };
    });
  }

  /** The version of the key set now (one primary-key read); undefined before the first start. */
  async currentVersion(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ version: number }>('SELECT version FROM auth_server_key_state WHERE id = 1');
    return rows[0]?.version;
  }

  /** The whole key set, decrypted, read in one statement (one snapshot: version and keys agree). */
  async load(): Promise<DatabaseKeySet> {
    const { rows } = await this.pool.query<KeyRow & { version: number; key_check: string }>(
      `SELECT s.version, s.key_check, k.kid, k.sealed_private_jwk, k.activate_at, k.retire_at
         FROM auth_server_key_state s LEFT JOIN auth_server_signing_keys k ON true
        WHERE s.id = 1 ORDER BY k.position`,
    );
    const first = rows[0];
    if (first === undefined) throw new KeyMaterialError('the database holds no signing keys');
    this.checkKey(first.key_check);
    return { keySet: this.openKeys(rows.filter((row) => row.kid !== null)), version: first.version };
  }

  /**
   * Changes the key set in one transaction holding the state row's lock: a concurrent rotation
   * waits, then starts from this one's result. `change` gets the current key set and returns the
   * new one (plus anything the caller wants back).
   */
  async update<T extends { readonly keySet: KeySet }>(change: (keySet: KeySet) => T): Promise<T & { readonly version: number }> {
    return withTransaction(this.pool, async (client) => {
      if ((await this.lockState(client)) === undefined) {
        throw new KeyMaterialError('the database holds no signing keys yet: start the auth server once (it generates its first key)');
      }
      const result = change(await this.readKeys(client));
      const version = await this.writeKeySet(client, result.keySet);
      return { ...result, version };
    });
  }

  /** Locks the state row and checks the encryption key against it; undefined when there is none yet. */
  private async lockState(client: PoolClient): Promise<number | undefined> {
    const { rows } = await client.query<{ version: number; key_check: string }>(
      'SELECT version, key_check FROM auth_server_key_state WHERE id = 1 FOR UPDATE',
    );
    const state = rows[0];
    if (state === undefined) return undefined;
    this.checkKey(state.key_check);
    return state.version;
  }

  private checkKey(keyCheck: string): void {
    try {
      this.encryption.open(keyCheck, KEY_CHECK_IDENTITY);
    } catch {
      throw new KeyMaterialError(`cannot decrypt the signing keys: wrong ${this.encryption.setting}?`);
    }
  }

  private async readKeys(client: PoolClient): Promise<KeySet> {
    const { rows } = await client.query<KeyRow>(
      'SELECT kid, sealed_private_jwk, activate_at, retire_at FROM auth_server_signing_keys ORDER BY position',
    );
    return this.openKeys(rows);
  }

  private openKeys(rows: readonly KeyRow[]): KeySet {
    const schedule = new Map<string, KeyScheduleEntry>();
    const keys = rows.map((row): SigningKey => {
      const where = `signing key ${row.kid} in the database`;
      let jwk: unknown;
      try {
        jwk = JSON.parse(this.encryption.open(row.sealed_private_jwk, keyIdentity(row.kid)));
      } catch (error) {
        if (!(error instanceof SealedValueError)) throw new KeyMaterialError(`${where} is not a JWK`);
        throw new KeyMaterialError(`${where} cannot be decrypted: its row was altered or copied from another one`);
      }
      const key = signingKeyFromJwk(jwk, where);
      if (key.kid !== row.kid) throw new KeyMaterialError(`${where} holds the key ${key.kid}`);
      if (row.activate_at !== null || row.retire_at !== null) {
        schedule.set(key.kid, {
          ...(row.activate_at === null ? {} : { activateAt: row.activate_at.getTime() }),
          ...(row.retire_at === null ? {} : { retireAt: row.retire_at.getTime() }),
        });
      }
      return key;
    });
    return { keys, schedule };
  }

  /** Replaces the stored key set by `keySet` (every row sealed again) and moves the version on. */
  private async writeKeySet(client: PoolClient, keySet: KeySet): Promise<number> {
    await client.query('DELETE FROM auth_server_signing_keys');
    for (const [position, key] of keySet.keys.entries()) {
      const entry = keySet.schedule.get(key.kid);
      await client.query(
        `INSERT INTO auth_server_signing_keys (kid, position, alg, sealed_private_jwk, activate_at, retire_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          key.kid,
          position,
          key.alg,
          this.encryption.seal(JSON.stringify(key.privateJwk), keyIdentity(key.kid)),
          entry?.activateAt === undefined ? null : new Date(entry.activateAt),
          entry?.retireAt === undefined ? null : new Date(entry.retireAt),
        ],
      );
    }
    const { rows } = await client.query<{ version: number }>(
      'UPDATE auth_server_key_state SET version = version + 1, updated_at = now() WHERE id = 1 RETURNING version',
    );
    return (rows[0] as { version: number }).version;
  }

  private async readCookieSecrets(client: PoolClient): Promise<string[]> {
    const { rows } = await client.query<{ position: number; sealed_secret: string }>(
      'SELECT position, sealed_secret FROM auth_server_cookie_secrets ORDER BY position',
    );
    return rows.map((row) => {
      try {
        return this.encryption.open(row.sealed_secret, cookieSecretIdentity(row.position));
      } catch {
        throw new KeyMaterialError(`cookie secret ${row.position} in the database cannot be decrypted: its row was altered or copied from another one`);
      }
    });
  }
}
