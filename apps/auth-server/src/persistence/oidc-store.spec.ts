import { loadConfig } from '@baton/config';
import { authServerConfig } from '../config/auth-server.config';
import { OidcStore } from './oidc-store';
import { SqliteAdapter } from './sqlite-adapter';

describe('OidcStore and SqliteAdapter', () => {
  let store: OidcStore;

  beforeEach(() => {
    store = new OidcStore(loadConfig(authServerConfig.schema, { AUTH_SERVER_DATABASE: ':memory:' }));
  });

  afterEach(() => {
    store.onModuleDestroy();
    jest.useRealTimers();
  });

  it('upserts, finds, consumes and destroys by model and id', async () => {
    const codes = new SqliteAdapter(store, 'AuthorizationCode');
    const sessions = new SqliteAdapter(store, 'Session');
    await codes.upsert('c1', { accountId: 'alice', grantId: 'g1' }, 60);
    expect(await codes.find('c1')).toEqual({ accountId: 'alice', grantId: 'g1' });
    // Models do not share ids.
    expect(await sessions.find('c1')).toBeUndefined();

    await codes.consume('c1');
    const consumed = await codes.find('c1');
    expect(typeof consumed?.consumed).toBe('number');

    await codes.upsert('c1', { accountId: 'bob', grantId: 'g1' }, 60);
    expect((await codes.find('c1'))?.accountId).toBe('bob');

    await codes.destroy('c1');
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('finds sessions by uid and device codes by user code', async () => {
    await new SqliteAdapter(store, 'Session').upsert('s1', { uid: 'u-1', accountId: 'alice' }, 60);
    await new SqliteAdapter(store, 'DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
    expect(await new SqliteAdapter(store, 'Session').findByUid('u-1')).toEqual({ uid: 'u-1', accountId: 'alice' });
    expect(await new SqliteAdapter(store, 'DeviceCode').findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH' });
  });

  it('revokes everything of a grant, across models', async () => {
    const refresh = new SqliteAdapter(store, 'RefreshToken');
    const code = new SqliteAdapter(store, 'AuthorizationCode');
    await refresh.upsert('r1', { grantId: 'g1' }, 60);
    await code.upsert('c1', { grantId: 'g1' }, 60);
    await refresh.upsert('r2', { grantId: 'g2' }, 60);
    await refresh.revokeByGrantId('g1');
    expect(await refresh.find('r1')).toBeUndefined();
    expect(await code.find('c1')).toBeUndefined();
    expect(await refresh.find('r2')).toEqual({ grantId: 'g2' });
  });

  it('never returns an expired row, and the sweep deletes expired rows', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), doNotFake: ['setInterval', 'clearInterval'] });
    const interactions = new SqliteAdapter(store, 'Interaction');
    await interactions.upsert('short', { uid: 'x' }, 10);
    await interactions.upsert('long', { uid: 'y' }, 1000);
    expect(store.count('Interaction')).toBe(2);

    jest.setSystemTime(new Date('2026-01-01T00:00:11Z'));
    expect(await interactions.find('short')).toBeUndefined();
    expect(await interactions.find('long')).toEqual({ uid: 'y' });
    expect(store.sweep()).toBe(1);
    expect(store.sweep()).toBe(0);
  });
});
