import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describePostgresError } from '@baton/postgres';
import { AuthServerConfig, SigningAlgorithm } from '../config/auth-server.config';
import { DatabaseKeyStore } from './database-key-store';
import { KeyMaterialError } from './key-material.error';
import { KeySchedule, KeySet, parseKeySchedule, selectActiveKeys, serializeKeySet } from './key-rotation';
import { isReadableByOthers, readJsonFile, writeSecretFile } from './secret-file';
import { generateSigningKey, Jwk, SigningKey, signingKeyFromJwk } from './signing-key';

export const SIGNING_KEYS_FILE_NAME = 'signing-keys.json';

/** How often the keys file is checked for a rotation, and the schedule for activations and retirements. */
export const KEYS_CHECK_INTERVAL_MS = 1_000;

/** Where the keys came from, for the start-up log line. */
export type SigningKeysSource = 'keys-file' | 'data-dir' | 'generated' | 'database';

interface KeysState {
  /** Signing key first. */
  readonly keys: readonly SigningKey[];
  readonly publicJwkList: readonly Jwk[];
  readonly byKid: ReadonlyMap<string, SigningKey>;
}

/**
 * The server's signing keys. The first key signs; every published key verifies (the JWKS publishes
 * them all, so a key can be replaced without invalidating tokens in flight). Keys come from
 * AUTH_SERVER_KEYS_FILE; else, with AUTH_SERVER_DATABASE_URL, from the database every replica
 * shares (private keys encrypted, see DatabaseKeyStore); else from `signing-keys.json` in the data
 * folder. The database and the data folder get a generated key on first start and whenever
 * AUTH_SERVER_SIGNING_ALG names an algorithm no key has yet.
 *
 * Rotation (`nx run auth-server:rotate-keys`) writes a new key and a schedule there: the running
 * server re-reads the file when it changes (or the database's key set when its version moves,
 * checked every second) and follows the schedule (a new key is published first and signs from
 * its activation; the old one is dropped at its retirement), so keys change without a restart.
 * `onChange` listeners (the provider's keystore) follow along.
 */
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  readonly source: SigningKeysSource;
  readonly algorithm: SigningAlgorithm;
  /** The file the keys are read from (and rotation writes); `database` in replicated mode. */
  readonly file: string;
  private keySet: KeySet;
  private state: KeysState;
  private fileStamp: string | undefined;
  private nextChangeAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();
  /** Replicated mode: where the key set lives, and the version of it in use. */
  private readonly database: { readonly store: DatabaseKeyStore; version: number } | undefined;
  /** A version of the database's key set that could not be used (reported once, not re-read every second). */
  private refusedVersion: number | undefined;
  /** Whether the last database check failed (reported once until it works again). */
  private databaseUnreachable = false;
  private polling: Promise<boolean> | undefined;

  /**
   * `fromDatabase`: the key set as read (or created) at start in replicated mode, and the store to
   * follow it in; without it the keys come from AUTH_SERVER_KEYS_FILE or the data folder.
   */
  constructor(config: AuthServerConfig, fromDatabase?: { readonly store: DatabaseKeyStore; readonly keySet: KeySet; readonly version: number; readonly generated: readonly string[] }) {
    this.algorithm = config.signingAlgorithm;
    const now = Date.now();
    if (fromDatabase !== undefined && config.keysFile === null) {
      this.file = 'database';
      this.database = { store: fromDatabase.store, version: fromDatabase.version };
      this.keySet = fromDatabase.keySet;
      this.source = 'database';
      for (const kid of fromDatabase.generated) this.logger.log(`generated ${this.algorithm} signing key ${kid} in the database`);
    } else {
      const fromKeysFile = config.keysFile !== null;
      this.file = resolve(fromKeysFile ? (config.keysFile as string) : resolve(config.dataDir, SIGNING_KEYS_FILE_NAME));
      const loaded = fromKeysFile ? { keySet: this.loadFromKeysFile(), source: 'keys-file' as const } : this.loadFromDataDir(now);
      this.keySet = loaded.keySet;
      this.source = loaded.source;
      this.fileStamp = stampOf(this.file);
    }
    const active = selectActiveKeys(this.keySet, this.algorithm, now);
    if (active === undefined) throw new KeyMaterialError(`${this.where} has no ${this.algorithm} key that may sign now (AUTH_SERVER_SIGNING_ALG)`);
    this.state = buildState(active.keys);
    this.nextChangeAt = active.nextChangeAt;
    if (config.nodeEnv === 'production' && this.source !== 'keys-file' && this.source !== 'database') {
      this.logger.warn('signing keys are generated in the data folder; production should set AUTH_SERVER_KEYS_FILE');
    }
  }

  /** Published keys, the signing key first. */
  get keys(): readonly SigningKey[] {
    return this.state.keys;
  }

  /** The key that signs new tokens. */
  get signingKey(): SigningKey {
    return this.state.keys[0] as SigningKey;
  }

  /** The public JWKS (no private members), as served at `/oauth2/jwks`. Cheap: built once per change. */
  publicJwks(): { keys: readonly Jwk[] } {
    return { keys: this.state.publicJwkList };
  }

  /** The public key for a `kid` of the JWKS, imported once. */
  verificationKey(kid: string): KeyObject | undefined {
    return this.state.byKid.get(kid)?.publicKey;
  }

  /** The private JWKS oidc-provider signs with (signing key first); never leaves the process. */
  privateJwks(): { keys: Jwk[] } {
    return { keys: this.state.keys.map((key) => ({ ...key.privateJwk })) };
  }

  /** Calls `listener` after every change of the signing key or of the published keys. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      if (this.database === undefined) this.refresh();
      // One check at a time: a slow database never piles them up.
      else if (this.polling === undefined) {
        this.polling = this.poll().finally(() => (this.polling = undefined));
      }
    }, KEYS_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the checks and waits for one in flight: the pool closes after this. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /**
   * Re-reads the keys file when it changed and applies the schedule at `now`. A file that cannot
   * be used is reported and ignored: the keys in use stay as they are. Returns whether anything
   * changed. In replicated mode only the schedule is applied here; `poll()` reads the database.
   */
  refresh(now = Date.now()): boolean {
    if (this.database !== undefined) return this.apply(this.keySet, false, now);
    const stamp = stampOf(this.file);
    const fileChanged = stamp !== this.fileStamp;
    if (!fileChanged && (this.nextChangeAt === undefined || now < this.nextChangeAt)) return false;
    let keySet = this.keySet;
    if (fileChanged) {
      try {
        keySet = this.readKeySet(this.file, this.where);
      } catch (error) {
        this.fileStamp = stamp;
        this.logger.error(`keys file changed but cannot be used, keeping the current keys: ${(error as Error).message}`);
        return false;
      }
      this.fileStamp = stamp;
    }
    return this.apply(keySet, fileChanged, now);
  }

  /**
   * Replicated mode: checks the version of the database's key set (one primary-key read) and
   * re-reads the set when it moved, then applies the schedule at `now`. A database that cannot be
   * reached, or a key set that cannot be used, is reported once and the keys in use stay: the
   * schedule still runs on the keys already known, so an activation due now happens on time.
   */
  async poll(now?: number): Promise<boolean> {
    const database = this.database;
    if (database === undefined) return this.refresh(now);
    let keySet = this.keySet;
    let changed = false;
    try {
      const version = await database.store.currentVersion();
      if (version !== undefined && version !== database.version && version !== this.refusedVersion) {
        try {
          const loaded = await database.store.load();
          keySet = loaded.keySet;
          database.version = loaded.version;
          changed = true;
        } catch (error) {
          if (!(error instanceof KeyMaterialError)) throw error;
          this.refusedVersion = version;
          this.logger.error(`the signing keys in the database changed but cannot be used, keeping the current keys: ${error.message}`);
        }
      }
      if (this.databaseUnreachable) {
        this.databaseUnreachable = false;
        this.logger.log('the database answers again: following its signing keys');
      }
    } catch (error) {
      if (!this.databaseUnreachable) {
        this.databaseUnreachable = true;
        this.logger.warn(`cannot check the signing keys in the database, keeping the current keys and retrying: ${describePostgresError(error)}`);
      }
    }
    return this.apply(keySet, changed, now ?? Date.now());
  }

  /** Uses `keySet` from now on if it (or the clock, past a scheduled moment) changes the keys in use. */
  private apply(keySet: KeySet, keySetChanged: boolean, now: number): boolean {
    if (!keySetChanged && (this.nextChangeAt === undefined || now < this.nextChangeAt)) return false;
    const active = selectActiveKeys(keySet, this.algorithm, now);
    if (active === undefined) {
      this.logger.error(`${this.where} has no ${this.algorithm} key that may sign now; keeping the current keys`);
      return false;
    }
    this.keySet = keySet;
    this.nextChangeAt = active.nextChangeAt;
    const before = this.state.keys.map((key) => key.kid).join(' ');
    const after = active.keys.map((key) => key.kid).join(' ');
    if (before === after) return false;
    const previousSigner = this.signingKey.kid;
    this.state = buildState(active.keys);
    this.logger.log({
      event: 'signing_keys_changed',
      signingKid: this.signingKey.kid,
      ...(previousSigner === this.signingKey.kid ? {} : { previousSigningKid: previousSigner }),
      publishedKids: active.keys.map((key) => key.kid),
    });
    for (const listener of this.listeners) listener();
    return true;
  }

  private get where(): string {
    if (this.source === 'database') return 'the key set in the database';
    return this.source === 'keys-file' ? `AUTH_SERVER_KEYS_FILE ${this.file}` : this.file;
  }

  private loadFromKeysFile(): KeySet {
    const where = `AUTH_SERVER_KEYS_FILE ${this.file}`;
    const keySet = this.readKeySet(this.file, where);
    if (!keySet.keys.some((key) => key.alg === this.algorithm)) {
      throw new KeyMaterialError(`${where} has no ${this.algorithm} key (AUTH_SERVER_SIGNING_ALG)`);
    }
    return keySet;
  }

  private loadFromDataDir(now: number): { keySet: KeySet; source: SigningKeysSource } {
    const path = this.file;
    let content: unknown;
    try {
      content = readJsonFile(path);
    } catch {
      throw new KeyMaterialError(`${path} is not valid JSON (delete it to generate new keys)`);
    }
    if (content === undefined) {
      const key = generateSigningKey(this.algorithm);
      const keySet: KeySet = { keys: [key], schedule: new Map() };
      this.save(keySet);
      this.logger.log(`generated ${key.alg} signing key ${key.kid} in ${path}`);
      return { keySet, source: 'generated' };
    }
    if (isReadableByOthers(path)) this.logger.warn(`${path} is readable by other users: chmod 600 it`);
    const keySet = parseKeySet(content, path);
    if (selectActiveKeys(keySet, this.algorithm, now) === undefined) {
      // A new algorithm (or every key of it retired): its key signs from now on; the old keys stay published for verification.
      const key = generateSigningKey(this.algorithm);
      const rotated: KeySet = { keys: [key, ...keySet.keys], schedule: keySet.schedule };
      this.save(rotated);
      this.logger.log(`generated ${key.alg} signing key ${key.kid}; ${keySet.keys.length} older key(s) kept for verification`);
      return { keySet: rotated, source: 'generated' };
    }
    return { keySet, source: 'data-dir' };
  }

  private readKeySet(path: string, where: string): KeySet {
    let content: unknown;
    try {
      content = readJsonFile(path);
    } catch {
      throw new KeyMaterialError(`${where} is not valid JSON`);
    }
    if (content === undefined) throw new KeyMaterialError(`${where} does not exist`);
    return parseKeySet(content, where);
  }

  private save(keySet: KeySet): void {
    writeSecretFile(this.file, serializeKeySet(keySet));
  }
}

/** A keys file: `{"keys": [private JWK, ...], "schedule"?: {...}}`. */
export function parseKeySet(content: unknown, where: string): KeySet {
  const keys = (content as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new KeyMaterialError(`${where} must be a JWKS: {"keys": [...]}`);
  const parsed = keys.map((jwk, index) => signingKeyFromJwk(jwk, `${where} keys[${index}]`));
  const kids = parsed.map((key) => key.kid);
  const repeated = kids.find((kid, index) => kids.indexOf(kid) !== index);
  if (repeated !== undefined) throw new KeyMaterialError(`${where} has two keys with kid ${JSON.stringify(repeated)}`);
  const schedule: KeySchedule = parseKeySchedule((content as { schedule?: unknown }).schedule, kids, where);
  return { keys: parsed, schedule };
}

function buildState(keys: readonly SigningKey[]): KeysState {
  return {
    keys,
    publicJwkList: Object.freeze(keys.map((key) => Object.freeze({ ...key.publicJwk }))),
    byKid: new Map(keys.map((key) => [key.kid, key])),
  };
}

/** Identifies a version of the file cheaply (rotation replaces it by rename, so the inode changes too). */
function stampOf(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}
