import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuthServerConfig } from '../config/auth-server.config';
import { KeyMaterialError } from './key-material.error';

/** HKDF `info`: binds the derived key to this one use, so the same secret used elsewhere yields another key. */
const HKDF_INFO = 'baton auth-server: signing keys and cookie secrets at rest, AES-256-GCM, v1';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that cannot be opened: wrong key, or a value altered or copied from another row. */
export class SealedValueError extends Error {
  constructor(readonly label: string) {
    super(`${label} cannot be decrypted`);
    this.name = 'SealedValueError';
  }
}

/**
 * Encrypts the private key material the auth server keeps in PostgreSQL: AES-256-GCM under a key
 * derived (HKDF-SHA256) from AUTH_SERVER_KEY_ENCRYPTION_KEY or the content of
 * AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE. Every value is sealed with the identity of the row that
 * holds it as additional authenticated data: a value copied onto another row does not open. A
 * database dump without that secret gives away no private key.
 */
export class KeyEncryption {
  private readonly key: Buffer;

  /** `setting`: the name of the setting the secret came from, for the refusal message. */
  constructor(
    secret: string,
    readonly setting: 'AUTH_SERVER_KEY_ENCRYPTION_KEY' | 'AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE' = 'AUTH_SERVER_KEY_ENCRYPTION_KEY',
  ) {
    if (secret.length < 32) throw new KeyMaterialError(`${setting} must be at least 32 characters`);
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), HKDF_INFO, 32));
  }

  /** From the configuration (exactly one of the two settings is set with a database URL; the config enforces it). */
  static fromConfig(config: Pick<AuthServerConfig, 'keyEncryptionKey' | 'keyEncryptionKeyFile'>): KeyEncryption {
    if (config.keyEncryptionKey !== null) return new KeyEncryption(config.keyEncryptionKey, 'AUTH_SERVER_KEY_ENCRYPTION_KEY');
    if (config.keyEncryptionKeyFile === null) {
      throw new KeyMaterialError('AUTH_SERVER_DATABASE_URL needs AUTH_SERVER_KEY_ENCRYPTION_KEY or AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE');
    }
    let content: string;
    try {
      content = readFileSync(config.keyEncryptionKeyFile, 'utf8');
    } catch (error) {
      throw new KeyMaterialError(
        `AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE ${config.keyEncryptionKeyFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    // A trailing newline (echo, a mounted secret) is not part of the secret.
    return new KeyEncryption(content.trim(), 'AUTH_SERVER_KEY_ENCRYPTION_KEY_FILE');
  }

  /** `v1.<iv>.<ciphertext>.<tag>` (base64url), bound to `identity`. */
  seal(plaintext: string, identity: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(identity, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** The plaintext of a value sealed for `identity`; SealedValueError otherwise (never says more). */
  open(sealed: string, identity: string): string {
    const [version, iv, ciphertext, tag, ...rest] = sealed.split('.');
    if (version !== VERSION || iv === undefined || ciphertext === undefined || tag === undefined || rest.length > 0) {
      throw new SealedValueError(identity);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(identity, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedValueError(identity);
    }
  }
}
