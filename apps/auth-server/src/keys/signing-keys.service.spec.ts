import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@baton/config';
import { authServerConfig } from '../config/auth-server.config';
import { CookieSecretsService } from './cookie-secrets.service';
import { KeyMaterialError } from './key-material.error';
import { generateSigningKey, signingKeyFromJwk, thumbprint } from './signing-key';
import { SIGNING_KEYS_FILE_NAME, SigningKeysService } from './signing-keys.service';

function config(env: Record<string, string>) {
  return loadConfig(authServerConfig.schema, { LOG_LEVEL: 'silent', ...env });
}

function dataDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'keys-test-')), 'data');
}

describe('SigningKeysService', () => {
  it('generates an ES256 key on first start, 0600 in a 0700 folder, and reuses it after', () => {
    const directory = dataDir();
    const first = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: directory }));
    expect(first.source).toBe('generated');
    expect(first.signingKey.alg).toBe('ES256');
    const file = join(directory, SIGNING_KEYS_FILE_NAME);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(directory).mode & 0o777).toString(8)).toBe('700');

    const second = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: directory }));
    expect(second.source).toBe('data-dir');
    expect(second.signingKey.kid).toBe(first.signingKey.kid);
    expect(second.publicJwks()).toEqual(first.publicJwks());
  });

  it('publishes public members only, with kid = RFC 7638 thumbprint', () => {
    const keys = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: dataDir() }));
    const [jwk] = keys.publicJwks().keys;
    expect(Object.keys(jwk ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(jwk?.kid).toBe(thumbprint(jwk ?? {}));
  });

  it('gives verification keys by kid that check the signing key’s signatures', () => {
    const keys = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: dataDir() }));
    const { kid, privateKey } = keys.signingKey;
    const signature = sign('sha256', Buffer.from('payload'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const publicKey = keys.verificationKey(kid);
    if (publicKey === undefined) throw new Error('no verification key for the signing kid');
    expect(publicKey.type).toBe('public');
    expect(verify('sha256', Buffer.from('payload'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(keys.verificationKey('unknown')).toBeUndefined();
  });

  it('adds a key when the algorithm changes: the new one signs, the old one still verifies', () => {
    const directory = dataDir();
    const es256 = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: directory }));
    const eddsa = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: directory, AUTH_SERVER_SIGNING_ALG: 'EdDSA' }));
    expect(eddsa.signingKey.alg).toBe('EdDSA');
    expect(eddsa.publicJwks().keys.map((key) => key.kid)).toEqual([eddsa.signingKey.kid, es256.signingKey.kid]);
    // And back: the ES256 key is found again and signs, EdDSA stays published.
    const again = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: directory }));
    expect(again.signingKey.kid).toBe(es256.signingKey.kid);
    expect(again.keys).toHaveLength(2);
  });

  it.each(['RS256', 'PS256', 'ES384', 'EdDSA'] as const)('generates %s keys', (alg) => {
    const keys = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: dataDir(), AUTH_SERVER_SIGNING_ALG: alg }));
    expect(keys.signingKey.alg).toBe(alg);
    expect(keys.publicJwks().keys[0]).not.toHaveProperty('d');
  });

  it('takes keys from AUTH_SERVER_KEYS_FILE, the first of the algorithm signing, all published', () => {
    const directory = mkdtempSync(join(tmpdir(), 'keys-file-'));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const file = join(directory, 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...rsa, alg: 'RS256', kid: 'old-rsa' }, { ...ec, kid: 'current' }] }));
    const keys = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: join(directory, 'data'), AUTH_SERVER_KEYS_FILE: file }));
    expect(keys.source).toBe('keys-file');
    expect(keys.signingKey).toMatchObject({ kid: 'current', alg: 'ES256' });
    expect(keys.publicJwks().keys.map((key) => [key.kid, key.alg])).toEqual([
      ['current', 'ES256'],
      ['old-rsa', 'RS256'],
    ]);
  });

  it.each<[string, unknown, string]>([
    ['a public key', { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) }, 'has no private part ("d")'],
    ['an RSA key without alg', { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) }, 'has alg undefined'],
    ['a key that does not fit its alg', { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES384' }, 'is a ec prime256v1 key, which cannot sign ES384'],
    ['an encryption key', { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), use: 'enc' }, 'has use "enc", not "sig"'],
  ])('refuses %s', (_case, jwk, message) => {
    expect(() => signingKeyFromJwk(jwk, 'keys[0]')).toThrow(KeyMaterialError);
    expect(() => signingKeyFromJwk(jwk, 'keys[0]')).toThrow(message);
  });

  it('refuses a corrupt keys file in the data folder instead of replacing it', () => {
    const directory = dataDir();
    new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: directory }));
    writeFileSync(join(directory, SIGNING_KEYS_FILE_NAME), '{ not json');
    expect(() => new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: directory }))).toThrow('is not valid JSON (delete it to generate new keys)');
    expect(readFileSync(join(directory, SIGNING_KEYS_FILE_NAME), 'utf8')).toBe('{ not json');
  });

  it('keeps generated keys distinct', () => {
    expect(generateSigningKey('ES256').kid).not.toBe(generateSigningKey('ES256').kid);
  });
});

describe('CookieSecretsService', () => {
  it('generates a secret once (0600) and keeps it', () => {
    const directory = dataDir();
    const first = new CookieSecretsService(config({ AUTH_SERVER_DATA_DIR: directory }));
    expect(first.secrets).toHaveLength(1);
    expect(first.secrets[0]?.length).toBeGreaterThanOrEqual(32);
    expect((statSync(join(directory, 'cookie-secrets.json')).mode & 0o777).toString(8)).toBe('600');
    expect(new CookieSecretsService(config({ AUTH_SERVER_DATA_DIR: directory })).secrets).toEqual(first.secrets);
  });

  it('takes AUTH_SERVER_COOKIE_SECRETS instead', () => {
    const secret = 'x'.repeat(40);
    expect(new CookieSecretsService(config({ AUTH_SERVER_DATA_DIR: dataDir(), AUTH_SERVER_COOKIE_SECRETS: `${secret},${'y'.repeat(32)}` })).secrets).toEqual([
      secret,
      'y'.repeat(32),
    ]);
    expect(() => config({ AUTH_SERVER_COOKIE_SECRETS: 'short' })).toThrow(
      'AUTH_SERVER_COOKIE_SECRETS must be a comma-separated list of secrets of at least 32 characters',
    );
  });
});
