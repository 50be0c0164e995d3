import { loadConfig } from '@baton/config';
import { createPostgresPool } from '@baton/postgres';
import { TestPostgres } from '@baton/testing';
import { errors } from 'oidc-provider';
import type { Pool } from 'pg';
import { authServerConfig } from '../config/auth-server.config';
import { OidcAdapter } from './oidc-adapter';
import { OidcStorage } from './oidc-storage';
import { OidcStore } from './oidc-store';
import { PostgresOidcStore } from './postgres-oidc-store';

jest.setTimeout(60_000);

interface OpenStorage {
  readonly storage: OidcStorage;
  close(): Promise<void>;
}

let postgres: TestPostgres | undefined;

/** The two engines; the PostgreSQL one gets a fresh database per test on one real server per file. */
const engines: { name: string; open: () => Promise<OpenStorage> }[] = [
  {
    name: 'SQLite',
    open: async () => {
      const store = new OidcStore(loadConfig(authServerConfig.schema, { AUTH_SERVER_DATABASE: ':memory:' }));
      return { storage: store, close: async () => store.onModuleDestroy() };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      postgres ??= await TestPostgres.start();
      const pool: Pool = createPostgresPool(await postgres.createDatabase(), { applicationName: 'oidc-storage-spec' });
      const store = await PostgresOidcStore.open(pool);
      return {
        storage: store,
        close: async () => {
          await store.onModuleDestroy();
          await pool.end();
        },
      };
    },
  },
];

afterAll(async () => {
  await postgres?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(engines)('OidcStorage on $name', ({ open }) => {
  let opened: OpenStorage;
  let storage: OidcStorage;

  beforeEach(async () => {
    opened = await open();
    storage = opened.storage;
  });

  afterEach(async () => {
    await opened.close();
  });

  it('upserts, finds, consumes and destroys by model and id', async () => {
    const codes = new OidcAdapter(storage, 'AuthorizationCode');
    const sessions = new OidcAdapter(storage, 'Session');
    await codes.upsert('c1', { accountId: 'alice', grantId: 'g1' }, 60);
    expect(await codes.find('c1')).toEqual({ accountId: 'alice', grantId: 'g1' });
    // Models do not share ids.
    expect(await sessions.find('c1')).toBeUndefined();

    const before = Math.floor(Date.now() / 1000);
    await codes.consume('c1');
    const consumed = await codes.find('c1');
    expect(consumed?.consumed).toBeGreaterThanOrEqual(before - 5);
    expect(consumed?.consumed).toBeLessThanOrEqual(before + 5);

    await codes.upsert('c1', { accountId: 'bob', grantId: 'g1' }, 60);
    expect((await codes.find('c1'))?.accountId).toBe('bob');

    await codes.destroy('c1');
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('keeps payloads as they are (nested objects, arrays, unicode) and rows without expiry', async () => {
    const payload = { accountId: 'zoë', claims: { id_token: { email: null } }, scope: 'openid', resources: ['a', 'b'], iat: 1 };
    const grants = new OidcAdapter(storage, 'Grant');
    await grants.upsert('g1', payload, undefined as unknown as number);
    expect(await grants.find('g1')).toEqual(payload);
  });

  it('finds sessions by uid and device codes by user code', async () => {
    await new OidcAdapter(storage, 'Session').upsert('s1', { uid: 'u-1', accountId: 'alice' }, 60);
    await new OidcAdapter(storage, 'DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
    expect(await new OidcAdapter(storage, 'Session').findByUid('u-1')).toEqual({ uid: 'u-1', accountId: 'alice' });
    expect(await new OidcAdapter(storage, 'DeviceCode').findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH' });
    expect(await new OidcAdapter(storage, 'Interaction').findByUid('u-1')).toBeUndefined();
  });

  it('revokes everything of a grant, across models', async () => {
    const refresh = new OidcAdapter(storage, 'RefreshToken');
    const code = new OidcAdapter(storage, 'AuthorizationCode');
    await refresh.upsert('r1', { grantId: 'g1' }, 60);
    await code.upsert('c1', { grantId: 'g1' }, 60);
    await refresh.upsert('r2', { grantId: 'g2' }, 60);
    await refresh.revokeByGrantId('g1');
    expect(await refresh.find('r1')).toBeUndefined();
    expect(await code.find('c1')).toBeUndefined();
    expect(await refresh.find('r2')).toEqual({ grantId: 'g2' });
  });

  it('never returns an expired row nor consumes one, and the sweep deletes expired rows', async () => {
    const interactions = new OidcAdapter(storage, 'Interaction');
    await interactions.upsert('short', { uid: 'x' }, 1);
    await interactions.upsert('long', { uid: 'y' }, 1000);
    expect(await storage.count('Interaction')).toBe(2);

    await sleep(2_100);
    expect(await interactions.find('short')).toBeUndefined();
    expect(await interactions.findByUid('x')).toBeUndefined();
    expect(await storage.consume('Interaction', 'short')).toBe(false);
    expect(await interactions.find('long')).toEqual({ uid: 'y' });
    expect(await storage.count('Interaction')).toBe(1);
    expect(await storage.sweep()).toBe(1);
    expect(await storage.sweep()).toBe(0);
  });

  it('consumes a row once: of many concurrent consumes exactly one wins', async () => {
    await storage.upsert('RefreshToken', 'r1', { grantId: 'g1' }, 60);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => storage.consume('RefreshToken', 'r1')));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await storage.consume('RefreshToken', 'r1')).toBe(false);
    expect(await storage.consume('RefreshToken', 'absent')).toBe(false);
  });

  it('refuses the loser of a concurrent redemption with invalid_grant and revokes the grant', async () => {
    const codes = new OidcAdapter(storage, 'AuthorizationCode');
    await storage.upsert('Grant', 'g1', { accountId: 'alice' }, 60);
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await storage.upsert('RefreshToken', 'r-other', { grantId: 'g1' }, 60);
    await storage.upsert('RefreshToken', 'r-unrelated', { grantId: 'g2' }, 60);

    const outcomes = await Promise.allSettled([codes.consume('c1'), codes.consume('c1')]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(errors.InvalidGrant);
    expect(refused?.reason).toMatchObject({ error: 'invalid_grant', statusCode: 400 });
    expect(await storage.find('Grant', 'id', 'g1')).toBeUndefined();
    expect(await storage.find('RefreshToken', 'id', 'r-other')).toBeUndefined();
    expect(await storage.find('RefreshToken', 'id', 'r-unrelated')).toEqual({ grantId: 'g2' });
  });

  it('refuses a pushed authorization request consumed concurrently as an invalid request_uri', async () => {
    const requests = new OidcAdapter(storage, 'PushedAuthorizationRequest');
    await requests.upsert('p1', { clientId: 'demo-app' }, 60);
    const outcomes = await Promise.allSettled([requests.consume('p1'), requests.consume('p1')]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(refused?.reason).toMatchObject({ error: 'invalid_request_uri', statusCode: 400 });
  });

  it('answers ready: it pings and its write probe stores', async () => {
    await storage.ping();
    expect(await storage.probeWrite()).toBeUndefined();
    expect(storage.writeFailure).toBeUndefined();
  });
});
