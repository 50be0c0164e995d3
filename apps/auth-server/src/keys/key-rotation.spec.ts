import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@baton/config';
import { authServerConfig } from '../config/auth-server.config';
import { KeyMaterialError } from './key-material.error';
import { KeySet, parseKeySchedule, rotateKeySet, selectActiveKeys, serializeKeySet } from './key-rotation';
import { longestTokenLifetimeSeconds, parseRotateKeysArguments, rotateKeys } from './rotate-keys';
import { generateSigningKey } from './signing-key';
import { parseKeySet, SIGNING_KEYS_FILE_NAME, SigningKeysService } from './signing-keys.service';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const T0 = Date.parse('2026-11-26T12:00:00Z');

function config(env: Record<string, string>) {
  return loadConfig(authServerConfig.schema, { LOG_LEVEL: 'silent', ...env });
}

const kids = (keySet: { keys: readonly { kid: string }[] }): string[] => keySet.keys.map((key) => key.kid);

describe('key rotation schedule', () => {
  const old = generateSigningKey('ES256');
  const single: KeySet = { keys: [old], schedule: new Map() };
  const rotation = rotateKeySet(single, { algorithm: 'ES256', now: T0, activationDelayMs: 30 * SECOND, retireAfterMs: 2 * HOUR });

  it('puts a new key first, active after the delay, and retires the signing key after the longest lifetime', () => {
    expect(kids(rotation.keySet)).toEqual([rotation.added.kid, old.kid]);
    expect(rotation.previous?.kid).toBe(old.kid);
    expect(rotation.activateAt).toBe(T0 + 30 * SECOND);
    expect(rotation.retireAt).toBe(T0 + 30 * SECOND + 2 * HOUR);
    expect(rotation.keySet.schedule.get(rotation.added.kid)).toEqual({ activateAt: T0 + 30 * SECOND });
    expect(rotation.keySet.schedule.get(old.kid)).toEqual({ retireAt: T0 + 30 * SECOND + 2 * HOUR });
  });

  it('publishes the new key before it signs, then signs with it, then drops the old one', () => {
    const before = selectActiveKeys(rotation.keySet, 'ES256', T0 + 29 * SECOND);
    expect(kids(before ?? { keys: [] })).toEqual([old.kid, rotation.added.kid]);
    expect(before?.nextChangeAt).toBe(T0 + 30 * SECOND);

    const after = selectActiveKeys(rotation.keySet, 'ES256', T0 + 30 * SECOND);
    expect(kids(after ?? { keys: [] })).toEqual([rotation.added.kid, old.kid]);
    expect(after?.nextChangeAt).toBe(rotation.retireAt);

    const retired = selectActiveKeys(rotation.keySet, 'ES256', rotation.retireAt);
    expect(kids(retired ?? { keys: [] })).toEqual([rotation.added.kid]);
    expect(retired?.nextChangeAt).toBeUndefined();
  });

  it('removes retired keys and replaces a key that never became active', () => {
    const pendingAgain = rotateKeySet(rotation.keySet, { algorithm: 'ES256', now: T0 + 10 * SECOND, activationDelayMs: 30 * SECOND, retireAfterMs: 2 * HOUR });
    expect(pendingAgain.removed).toEqual([rotation.added.kid]);
    expect(kids(pendingAgain.keySet)).toEqual([pendingAgain.added.kid, old.kid]);
    // The old key still signs until the new one activates; its retirement moves to the new schedule.
    expect(pendingAgain.previous?.kid).toBe(old.kid);
    expect(pendingAgain.keySet.schedule.get(old.kid)?.retireAt).toBe(T0 + 40 * SECOND + 2 * HOUR);

    const later = rotateKeySet(rotation.keySet, { algorithm: 'ES256', now: rotation.retireAt + SECOND, activationDelayMs: 0, retireAfterMs: HOUR });
    expect(later.removed).toEqual([old.kid]);
    expect(later.previous?.kid).toBe(rotation.added.kid);
    expect(kids(later.keySet)).toEqual([later.added.kid, rotation.added.kid]);
  });

  it('keeps keys of another algorithm published as they were', () => {
    const rsa = generateSigningKey('RS256');
    const mixed = rotateKeySet({ keys: [old, rsa], schedule: new Map() }, { algorithm: 'ES256', now: T0, activationDelayMs: 0, retireAfterMs: HOUR });
    expect(kids(mixed.keySet)).toEqual([mixed.added.kid, old.kid, rsa.kid]);
    expect(mixed.keySet.schedule.has(rsa.kid)).toBe(false);
  });

  it('round-trips through the keys file format', () => {
    const text = serializeKeySet(rotation.keySet);
    const parsed = parseKeySet(JSON.parse(text), 'keys.json');
    expect(kids(parsed)).toEqual(kids(rotation.keySet));
    expect([...parsed.schedule]).toEqual([...rotation.keySet.schedule]);
    expect(JSON.parse(text).schedule[rotation.added.kid]).toEqual({ activateAt: '2026-11-26T12:00:30.000Z' });
  });

  it.each<[string, unknown, string]>([
    ['a schedule that is not an object', [], '"schedule" must be an object'],
    ['a kid without a key', { nope: {} }, 'names kid "nope", which has no key'],
    ['a date that is not ISO 8601', { k: { retireAt: 'tomorrow' } }, '"schedule".k.retireAt must be an ISO 8601 date-time'],
    ['an unknown member', { k: { expiresAt: '2026-11-26T12:00:00Z' } }, 'unknown member "expiresAt"'],
  ])('refuses %s', (_case, schedule, message) => {
    expect(() => parseKeySchedule(schedule, ['k'], 'keys.json')).toThrow(KeyMaterialError);
    expect(() => parseKeySchedule(schedule, ['k'], 'keys.json')).toThrow(message);
  });
});

describe('rotate-keys command', () => {
  it('retires after the longest access or ID token lifetime plus the clock tolerance', () => {
    expect(longestTokenLifetimeSeconds({ resourceServers: [{ accessTokenTtl: 300 } as never] })).toBe(3600 + 300);
    expect(longestTokenLifetimeSeconds({ resourceServers: [{ accessTokenTtl: 7200 } as never] })).toBe(7200 + 300);
  });

  it('reads --activation-delay and refuses anything else', () => {
    expect(parseRotateKeysArguments([])).toEqual({ activationDelaySeconds: 30 });
    expect(parseRotateKeysArguments(['--activation-delay=5'])).toEqual({ activationDelaySeconds: 5 });
    expect(parseRotateKeysArguments(['--activation-delay', '0'])).toEqual({ activationDelaySeconds: 0 });
    expect(() => parseRotateKeysArguments(['--activation-delay=soon'])).toThrow('whole number of seconds');
    expect(() => parseRotateKeysArguments(['--force'])).toThrow('unknown argument "--force"');
  });

  it('refuses to rotate when the server never made its first key', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rotate-')), 'data');
    expect(() =>
      rotateKeys({ config: config({ AUTH_SERVER_DATA_DIR: dataDir }), declarativeConfig: { resourceServers: [] }, activationDelaySeconds: 0 }),
    ).toThrow('does not exist: start the auth server once');
  });
});

describe('SigningKeysService following a rotation', () => {
  it('re-reads the rotated file: publishes the new key at once, signs with it on time, drops the old one at retirement', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rotation-')), 'data');
    const keys = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: dataDir }));
    const first = keys.signingKey.kid;
    const changes: string[][] = [];
    keys.onChange(() => changes.push(keys.privateJwks().keys.map((key) => key.kid)));

    const now = Date.now();
    const result = rotateKeys({
      config: config({ AUTH_SERVER_DATA_DIR: dataDir }),
      declarativeConfig: { resourceServers: [{ accessTokenTtl: 300 } as never] },
      activationDelaySeconds: 30,
      now,
    });
    const file = join(dataDir, SIGNING_KEYS_FILE_NAME);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(JSON.parse(readFileSync(file, 'utf8')).keys).toHaveLength(2);

    expect(keys.refresh(now + SECOND)).toBe(true);
    expect(keys.signingKey.kid).toBe(first);
    expect(keys.publicJwks().keys.map((key) => key.kid)).toEqual([first, result.added.kid]);
    expect(keys.verificationKey(result.added.kid)).toBeDefined();

    expect(keys.refresh(now + 29 * SECOND)).toBe(false);
    expect(keys.refresh(now + 30 * SECOND)).toBe(true);
    expect(keys.signingKey.kid).toBe(result.added.kid);
    expect(keys.verificationKey(first)).toBeDefined();

    expect(keys.refresh(result.retireAt)).toBe(true);
    expect(keys.publicJwks().keys.map((key) => key.kid)).toEqual([result.added.kid]);
    expect(keys.verificationKey(first)).toBeUndefined();
    expect(changes).toEqual([[first, result.added.kid], [result.added.kid, first], [result.added.kid]]);
  });

  it('keeps its keys when the file is replaced by something unusable', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rotation-')), 'data');
    const keys = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: dataDir }));
    const kid = keys.signingKey.kid;
    writeFileSync(join(dataDir, SIGNING_KEYS_FILE_NAME), '{ "keys": "broken" }');
    expect(keys.refresh()).toBe(false);
    expect(keys.signingKey.kid).toBe(kid);
    expect(keys.publicJwks().keys).toHaveLength(1);
  });

  it('starts on a rotated file, following its schedule from the first moment', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rotation-')), 'data');
    const first = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: dataDir })).signingKey.kid;
    const result = rotateKeys({ config: config({ AUTH_SERVER_DATA_DIR: dataDir }), declarativeConfig: { resourceServers: [] }, activationDelaySeconds: 3600 });
    const restarted = new SigningKeysService(config({ AUTH_SERVER_DATA_DIR: dataDir }));
    expect(restarted.source).toBe('data-dir');
    expect(restarted.signingKey.kid).toBe(first);
    expect(restarted.publicJwks().keys.map((key) => key.kid)).toEqual([first, result.added.kid]);
  });
});
