import { Injectable, Logger } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig, SigningAlgorithm } from '../config/auth-server.config';
import { KeyMaterialError } from './key-material.error';
import { isReadableByOthers, readJsonFile, writeSecretFile } from './secret-file';
import { generateSigningKey, Jwk, SigningKey, signingKeyFromJwk } from './signing-key';

export const SIGNING_KEYS_FILE_NAME = 'signing-keys.json';

/** Where the keys came from, for the start-up log line. */
export type SigningKeysSource = 'keys-file' | 'data-dir' | 'generated';

/**
 * The server's signing keys. The first key signs; every key verifies (the JWKS publishes them all,
 * so a key can be replaced without invalidating tokens in flight). Keys come from
 * AUTH_SERVER_KEYS_FILE, or from `signing-keys.json` in the data folder, where a key is generated
 * (0600) on first start and whenever AUTH_SERVER_SIGNING_ALG names an algorithm no key has yet.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  readonly source: SigningKeysSource;
  /** Signing key first. */
  readonly keys: readonly SigningKey[];
  readonly algorithm: SigningAlgorithm;
  private readonly publicJwkList: readonly Jwk[];
  private readonly byKid: ReadonlyMap<string, SigningKey>;

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig) {
    this.algorithm = config.signingAlgorithm;
    const { keys, source } =
      config.keysFile === null
        ? this.loadFromDataDir(resolve(config.dataDir, SIGNING_KEYS_FILE_NAME))
        : { keys: this.loadFromKeysFile(resolve(config.keysFile)), source: 'keys-file' as const };
    this.keys = keys;
    this.source = source;
    this.publicJwkList = Object.freeze(keys.map((key) => Object.freeze({ ...key.publicJwk })));
    this.byKid = new Map(keys.map((key) => [key.kid, key]));
    if (config.nodeEnv === 'production' && source !== 'keys-file') {
      this.logger.warn('signing keys are generated in the data folder; production should set AUTH_SERVER_KEYS_FILE');
    }
  }

  /** The key that signs new tokens. */
  get signingKey(): SigningKey {
    return this.keys[0] as SigningKey;
  }

  /** The public JWKS (no private members), as served at `/oauth2/jwks`. Cheap: built once. */
  publicJwks(): { keys: readonly Jwk[] } {
    return { keys: this.publicJwkList };
  }

  /** The public key for a `kid` of the JWKS, imported once. */
  verificationKey(kid: string): KeyObject | undefined {
    return this.byKid.get(kid)?.publicKey;
  }

  /** The private JWKS oidc-provider signs with; never leaves the process. */
  privateJwks(): { keys: Jwk[] } {
    return { keys: this.keys.map((key) => ({ ...key.privateJwk })) };
  }

  private loadFromKeysFile(path: string): SigningKey[] {
    let content: unknown;
    try {
      content = readJsonFile(path);
    } catch {
      throw new KeyMaterialError(`AUTH_SERVER_KEYS_FILE ${path} is not valid JSON`);
    }
    if (content === undefined) throw new KeyMaterialError(`AUTH_SERVER_KEYS_FILE ${path} does not exist`);
    const keys = parseJwks(content, `AUTH_SERVER_KEYS_FILE ${path}`);
    const signing = keys.findIndex((key) => key.alg === this.algorithm);
    if (signing === -1) {
      throw new KeyMaterialError(`AUTH_SERVER_KEYS_FILE ${path} has no ${this.algorithm} key (AUTH_SERVER_SIGNING_ALG)`);
    }
    return [keys[signing] as SigningKey, ...keys.filter((_, index) => index !== signing)];
  }

  private loadFromDataDir(path: string): { keys: SigningKey[]; source: SigningKeysSource } {
    let content: unknown;
    try {
      content = readJsonFile(path);
    } catch {
      throw new KeyMaterialError(`${path} is not valid JSON (delete it to generate new keys)`);
    }
    if (content === undefined) {
      const key = generateSigningKey(this.algorithm);
      this.save(path, [key]);
      this.logger.log(`generated ${key.alg} signing key ${key.kid} in ${path}`);
      return { keys: [key], source: 'generated' };
    }
    if (isReadableByOthers(path)) this.logger.warn(`${path} is readable by other users: chmod 600 it`);
    const keys = parseJwks(content, path);
    const signing = keys.findIndex((key) => key.alg === this.algorithm);
    if (signing === -1) {
      // A new algorithm: its key signs from now on; the old keys stay published for verification.
      const key = generateSigningKey(this.algorithm);
      const rotated = [key, ...keys];
      this.save(path, rotated);
      this.logger.log(`generated ${key.alg} signing key ${key.kid}; ${keys.length} older key(s) kept for verification`);
      return { keys: rotated, source: 'generated' };
    }
    return { keys: [keys[signing] as SigningKey, ...keys.filter((_, index) => index !== signing)], source: 'data-dir' };
  }

  private save(path: string, keys: readonly SigningKey[]): void {
    writeSecretFile(path, `${JSON.stringify({ keys: keys.map((key) => key.privateJwk) }, null, 2)}\n`);
  }
}

function parseJwks(content: unknown, where: string): SigningKey[] {
  const keys = (content as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new KeyMaterialError(`${where} must be a JWKS: {"keys": [...]}`);
  const parsed = keys.map((jwk, index) => signingKeyFromJwk(jwk, `${where} keys[${index}]`));
  const kids = parsed.map((key) => key.kid);
  const repeated = kids.find((kid, index) => kids.indexOf(kid) !== index);
  if (repeated !== undefined) throw new KeyMaterialError(`${where} has two keys with kid ${JSON.stringify(repeated)}`);
  return parsed;
}
