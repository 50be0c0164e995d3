import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenExchangeDpop } from './token-exchange-dpop';

describe('tokenExchangeDpop', () => {
  let folder: string;

  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'user-service-dpop-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const config = (on: boolean, file = '', algorithm: 'ES256' | 'EdDSA' = 'ES256') => ({
    tokenExchangeDpop: on,
    tokenExchangeDpopKeyFile: file,
    tokenExchangeDpopAlgorithm: algorithm,
  });

  it('is off when disabled, and a generated key of the configured algorithm by default', () => {
    expect(tokenExchangeDpop(config(false))).toBe(false);
    expect(tokenExchangeDpop(config(true))).toEqual({ algorithm: 'ES256' });
    expect(tokenExchangeDpop(config(true, '', 'EdDSA'))).toEqual({ algorithm: 'EdDSA' });
  });

  it('reads a PEM or a JWK key file', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(folder, 'key.pem'), pem);
    expect(tokenExchangeDpop(config(true, join(folder, 'key.pem')))).toEqual({ key: pem.trim() });
    const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
    writeFileSync(join(folder, 'key.json'), `${jwk}\n`);
    expect(tokenExchangeDpop(config(true, join(folder, 'key.json')))).toEqual({ key: jwk });
  });

  it('stops the start naming a file it cannot read', () => {
    expect(() => tokenExchangeDpop(config(true, join(folder, 'missing.pem')))).toThrow(
      `TOKEN_EXCHANGE_DPOP_KEY_FILE ${join(folder, 'missing.pem')} cannot be read (ENOENT)`,
    );
  });
});
