import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig, SigningAlgorithm } from '../config/auth-server.config';
import { KeyMaterialError } from './key-material.error';
import { KeySchedule, KeySet, parseKeySchedule, selectActiveKeys, serializeKeySet } from './key-rotation';
import { isReadableByOthers, readJsonFile, writeSecretFile } from './secret-file';
import { generateSigningKey, Jwk, SigningKey, signingKeyFromJwk } from './signing-key';

export const SIGNING_KEYS_FILE_NAME = 'signing-keys.json';

/** How often the keys file is checked for a rotation, and the schedule for activations and retirements. */
export const KEYS_CHECK_INTERVAL_MS = 1_000;

/** Where the keys came from, for the start-up log line. */
export type SigningKeysSource = 'keys-file' | 'data-dir' | 'generated';

interface KeysState {
  /** Signing key first. */
  readonly keys: readonly SigningKey[];
  readonly publicJwkList: readonly Jwk[];
  readonly byKid: ReadonlyMap<string, SigningKey>;
}

/**
 * The server's signing keys. The first key signs; every published key verifies (the JWKS publishes
 * them all, so a key can be replaced without invalidating tokens in flight). Keys come from
 * AUTH_SERVER_KEYS_FILE, or from `signing-keys.json` in the data folder, where a key is generated
 * (0600) on first start and whenever AUTH_SERVER_SIGNING_ALG names an algorithm no key has yet.
 *
 * Rotation (`nx run auth-server:rotate-keys`) rewrites that file with a new key and a schedule:
 * the running server re-reads the file when it changes and follows the schedule (a new key is
 * published first and signs from its activation; the old one is dropped at its retirement), so
 * keys change without a restart. `onChange` listeners (the provider's keystore) follow along.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  readonly source: SigningKeysSource;
  readonly algorithm: SigningAlgorithm;
  /** The file the keys are read from (and rotation writes). */
  readonly file: string;
  private keySet: KeySet;
  private state: KeysState;
  private fileStamp: string | undefined;
  private nextChangeAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig) {
    this.algorithm = config.signingAlgorithm;
    const fromKeysFile = config.keysFile !== null;
    this.file = resolve(fromKeysFile ? (config.keysFile as string) : resolve(config.dataDir, SIGNING_KEYS_FILE_NAME));
    const now = Date.now();
    const loaded = fromKeysFile ? { keySet: this.loadFromKeysFile(), source: 'keys-file' as const } : this.loadFromDataDir(now);
    this.keySet = loaded.keySet;
    this.source = loaded.source;
    this.fileStamp = stampOf(this.file);
    const active = selectActiveKeys(this.keySet, this.algorithm, now);
    if (active === undefined) throw new KeyMaterialError(`${this.where} has no ${this.algorithm} key that may sign now (AUTH_SERVER_SIGNING_ALG)`);
    this.state = buildState(active.keys);
    this.nextChangeAt = active.nextChangeAt;
    if (config.nodeEnv === 'production' && this.source !== 'keys-file') {
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
    this.timer = setInterval(() => this.refresh(), KEYS_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Re-reads the keys file when it changed and applies the schedule at `now`. A file that cannot
   * be used is reported and ignored: the keys in use stay as they are. Returns whether anything changed.
   */
  refresh(now = Date.now()): boolean {
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
