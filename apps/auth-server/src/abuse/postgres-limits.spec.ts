import { loadConfig } from '@baton/config';
import { createPostgresPool } from '@baton/postgres';
import { TestPostgres } from '@baton/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'pg';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { authServerConfig } from '../config/auth-server.config';
import type { AuthServerDatabase } from '../persistence/auth-server-database';
import { AbuseLimitsUnavailableError } from './abuse-limits-unavailable.error';
import type { FixedWindowLimiter } from './fixed-window-limiter';
import { LoginThrottle } from './login-throttle.service';
import { RateLimiterFactory } from './rate-limiter.factory';
import type { TokenBudget } from './token-budget';

jest.setTimeout(90_000);

/** Two replicas' worth of stores: two pools, two factories, one database. */
interface Replicas {
  readonly url: string;
  readonly pools: readonly [Pool, Pool];
  readonly factories: readonly [RateLimiterFactory, RateLimiterFactory];
}

/**
 * The abuse limits' PostgreSQL store against a real PostgreSQL 18, each replica with its own pool
 * (its own connections), as two auth-server processes would be.
 */
describe('abuse limits in PostgreSQL (replicated mode)', () => {
  let pg: TestPostgres;
  const opened: Replicas[] = [];

  beforeAll(async () => {
    pg = await TestPostgres.start();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const replicas of opened.splice(0)) {
      await Promise.all(replicas.factories.map((factory) => factory.onModuleDestroy()));
      await Promise.all(replicas.pools.map((pool) => pool.end()));
    }
  });
  afterAll(async () => {
    await pg?.stop();
  });

  /** Two replicas on a fresh database, their migrations run at once (as replicas starting together do). */
  async function twoReplicas(): Promise<Replicas> {
    const url = await pg.createDatabase('abuse');
    const pools = [0, 1].map((replica) => createPostgresPool(url, { applicationName: `replica-${replica}`, max: 10 })) as [Pool, Pool];
    const factories = pools.map((pool) => new RateLimiterFactory({ pool } as AuthServerDatabase)) as [RateLimiterFactory, RateLimiterFactory];
    const replicas: Replicas = { url, pools, factories };
    opened.push(replicas);
    await Promise.all(factories.map((factory) => factory.onModuleInit()));
    return replicas;
  }

  function limiters(replicas: Replicas, name: string, points: number, seconds: number): [FixedWindowLimiter, FixedWindowLimiter] {
    return replicas.factories.map((factory) => factory.create(name, points, seconds) as FixedWindowLimiter) as [FixedWindowLimiter, FixedWindowLimiter];
  }

  const granted = (outcomes: PromiseSettledResult<unknown>[]) => outcomes.filter((outcome) => outcome.status === 'fulfilled').length;

  it('migrates once when two replicas start at once, and is shared: of 40 concurrent consumes over both, exactly the 5 points pass', async () => {
    const replicas = await twoReplicas();
    const versions = await pg.query<{ version: number }>("SELECT version FROM baton_schema_version WHERE component = 'abuse-limits'", [], dbName(replicas.url));
    expect(versions).toEqual([{ version: 1 }]);
    const [a, b] = limiters(replicas, 'login-user', 5, 60);
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, attempt) => (attempt % 2 === 0 ? a : b).consume('bob')));
    expect(granted(outcomes)).toBe(5);
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') continue;
      // Over the limit is the library's refusal (a RateLimiterRes), not a store failure.
      expect(outcome.reason).toBeInstanceOf(RateLimiterRes);
      expect((outcome.reason as RateLimiterRes).msBeforeNext).toBeGreaterThan(55_000);
      expect((outcome.reason as RateLimiterRes).msBeforeNext).toBeLessThanOrEqual(60_000);
    }
    // Other keys and other limiters are counted apart.
    await expect(a.consume('alice')).resolves.toMatchObject({ consumedPoints: 1, remainingPoints: 4 });
    const [other] = limiters(replicas, 'login-address', 5, 60);
    await expect(other.consume('bob')).resolves.toMatchObject({ consumedPoints: 1 });
  });

  it('rewards and deletes across replicas; a reward creates nothing and never goes below zero', async () => {
    const [a, b] = limiters(await twoReplicas(), 'login-user', 2, 60);
    await a.consume('carol');
    await b.consume('carol');
    await expect(a.consume('carol')).rejects.toMatchObject({ consumedPoints: 3 });
    await b.reward('carol');
    expect(await a.get('carol')).toMatchObject({ consumedPoints: 2 });
    await b.reward('carol');
    await expect(a.consume('carol')).resolves.toMatchObject({ consumedPoints: 2 });
    await expect(b.delete('carol')).resolves.toBe(true);
    expect(await a.get('carol')).toBeNull();
    await expect(b.delete('carol')).resolves.toBe(false);
    await a.reward('dave');
    expect(await a.get('dave')).toBeNull();
    await a.consume('erin');
    await a.reward('erin', 5);
    expect(await b.get('erin')).toMatchObject({ consumedPoints: 0 });
    await expect(b.consume('erin')).resolves.toMatchObject({ consumedPoints: 1 });
  });

  it('ends a window on the database clock; a late reward gives the next window no credit; a replica clock step changes nothing', async () => {
    const replicas = await twoReplicas();
    const [a, b] = limiters(replicas, 'client-auth-address', 1, 1);
    await a.consume('10.0.0.1');
    // A replica whose wall clock is ten minutes ahead or behind sees the same window.
    const wallClock = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(wallClock + 600_000);
    const refusal = (await b.consume('10.0.0.1').catch((result: unknown) => result)) as RateLimiterRes;
    expect(refusal).toBeInstanceOf(RateLimiterRes);
    expect(refusal.msBeforeNext).toBeLessThanOrEqual(1_000);
    jest.spyOn(Date, 'now').mockReturnValue(wallClock - 600_000);
    await expect(a.consume('10.0.0.1')).rejects.toBeInstanceOf(RateLimiterRes);
    jest.restoreAllMocks();
    await sleep(1_100);
    await b.reward('10.0.0.1', 3);
    expect(await a.get('10.0.0.1')).toBeNull();
    await expect(a.consume('10.0.0.1')).resolves.toMatchObject({ consumedPoints: 1 });
    await expect(b.consume('10.0.0.1')).rejects.toMatchObject({ consumedPoints: 2 });
  });

  it('token buckets: a burst sent over both replicas at once gets exactly `burst` tokens, then the rate refills', async () => {
    const replicas = await twoReplicas();
    // One token every 2 s: slow enough that a loaded machine's timing adds nothing to the burst.
    const [a, b] = replicas.factories.map((factory) => factory.createTokenBudget('token-client', 0.5, 3) as TokenBudget);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, request) => (request % 2 === 0 ? a : b).take('user-service')));
    expect(answers.filter((wait) => wait === undefined)).toHaveLength(3);
    expect(answers.filter((wait) => wait === 2)).toHaveLength(9);
    // Another client has its own bucket.
    await expect(b.take('demo-app 10.0.0.1')).resolves.toBeUndefined();
    // 2.2 s pass on the database's clock (the row is moved back instead of sleeping): 1.1 tokens.
    await pg.query("UPDATE abuse_token_buckets SET updated_at = updated_at - interval '2.2 seconds'", [], dbName(replicas.url));
    await expect(a.take('user-service')).resolves.toBeUndefined();
    // 0.1 left: the next token is 1.8 s away.
    await expect(b.take('user-service')).resolves.toBe(2);
    // Refill stops at the burst however long the bucket was idle.
    await pg.query("UPDATE abuse_token_buckets SET updated_at = updated_at - interval '1 hour'", [], dbName(replicas.url));
    const after = await Promise.all(Array.from({ length: 6 }, (_, request) => (request % 2 === 0 ? a : b).take('user-service')));
    expect(after.filter((wait) => wait === undefined)).toHaveLength(3);
    expect(replicas.factories[0].createTokenBudget('off', 0, 3)).toBeUndefined();
  });

  it('sweeps rows of ended windows and full buckets, so distinct keys cannot grow the tables for ever', async () => {
    const replicas = await twoReplicas();
    const [a] = limiters(replicas, 'login-user', 5, 1);
    const [long] = limiters(replicas, 'login-address', 5, 60);
    const budget = replicas.factories[0].createTokenBudget('token-client', 10, 1) as TokenBudget;
    await Promise.all(Array.from({ length: 50 }, (_, user) => a.consume(`flood-${user}`)));
    await long.consume('10.0.0.1');
    await budget.take('user-service');
    const count = async (table: string) => Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], dbName(replicas.url)))[0]?.n);
    expect(await count('abuse_limit_windows')).toBe(51);
    expect(await count('abuse_token_buckets')).toBe(1);
    // Keys are stored as digests, not as typed.
    expect(await pg.query("SELECT 1 FROM abuse_limit_windows WHERE encode(key_hash, 'escape') LIKE '%flood%'", [], dbName(replicas.url))).toEqual([]);
    await sleep(1_100);
    await replicas.factories[1].sweep();
    expect(await count('abuse_limit_windows')).toBe(1);
    expect(await count('abuse_token_buckets')).toBe(0);
  });

  it('fails closed when the database stops: the check rejects (no RateLimiterRes) and a sign-in attempt is refused 503', async () => {
    const replicas = await twoReplicas();
    const [a] = limiters(replicas, 'login-user', 5, 60);
    const budget = replicas.factories[0].createTokenBudget('token-client', 1, 1) as TokenBudget;
    const throttle = new LoginThrottle(loadConfig(authServerConfig.schema, {}), replicas.factories[0]);
    await expect(throttle.reserve('bob', '10.0.0.1')).resolves.toMatchObject({ allowed: true });
    await pg.stopServer();
    try {
      const failure: unknown = await a.consume('bob').catch((error: unknown) => error);
      // (Errors from pg come from another realm than jest's `Error`: checked by shape.)
      expect(failure).toMatchObject({ message: expect.any(String) });
      expect(failure).not.toBeInstanceOf(RateLimiterRes);
      await expect(Promise.resolve(budget.take('user-service'))).rejects.toMatchObject({ message: expect.any(String) });
      const refusal: unknown = await throttle.reserve('bob', '10.0.0.1').catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(AbuseLimitsUnavailableError);
      expect(refusal).toMatchObject({ statusCode: 503, error: 'temporarily_unavailable', headers: { 'Retry-After': '5' } });
      // The sweep logs and carries on.
      await expect(replicas.factories[0].sweep()).resolves.toBeUndefined();
    } finally {
      await pg.startServer();
    }
    await expect(throttle.reserve('bob', '10.0.0.1')).resolves.toMatchObject({ allowed: true });
  });
});

function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}
