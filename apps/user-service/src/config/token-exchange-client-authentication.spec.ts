import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenExchangeClientAuthentication } from './token-exchange-client-authentication';

describe('tokenExchangeClientAuthentication', () => {
  let folder: string;

  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'user-service-key-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const config = (method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt', file = '') => ({
    tokenExchangeClientAuthMethod: method,
    tokenExchangeClientSecret: 'secret',
    tokenExchangePrivateKeyFile: file,
  });

  it('passes the secret on for the secret methods', () => {
    expect(tokenExchangeClientAuthentication(config('client_secret_basic'))).toEqual({ method: 'client_secret_basic', clientSecret: 'secret' });
    expect(tokenExchangeClientAuthentication(config('client_secret_post'))).toEqual({ method: 'client_secret_post', clientSecret: 'secret' });
  });

  it('reads a PEM or a JWK key file for private_key_jwt', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(folder, 'key.pem'), pem);
    expect(tokenExchangeClientAuthentication(config('private_key_jwt', join(folder, 'key.pem')))).toEqual({
      method: 'private_key_jwt',
      privateKey: pem.trim(),
    });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'user-service-1' };
    writeFileSync(join(folder, 'key.json'), JSON.stringify(jwk));
    expect(tokenExchangeClientAuthentication(config('private_key_jwt', join(folder, 'key.json')))).toEqual({
      method: 'private_key_jwt',
      privateKey: jwk,
    });
  });

  it('names the file, never its content, when it cannot be used', () => {
    expect(() => tokenExchangeClientAuthentication(config('private_key_jwt', join(folder, 'missing.pem')))).toThrow(
      `TOKEN_EXCHANGE_PRIVATE_KEY_FILE ${join(folder, 'missing.pem')} cannot be read (ENOENT)`,
    );
    writeFileSync(join(folder, 'broken.json'), '{"d": "top-secret"');
    expect(() => tokenExchangeClientAuthentication(config('private_key_jwt', join(folder, 'broken.json')))).toThrow(
      'TOKEN_EXCHANGE_PRIVATE_KEY_FILE holds neither a PEM key nor a JWK object',
    );
  });
});
