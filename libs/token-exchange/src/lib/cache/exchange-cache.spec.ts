import { ExchangedToken } from '../exchange-request';
import { FakeClock } from '../testing/fake-clock';
import { unsignedAccessToken } from '../testing/token-answers';
import { TokenTypeUri } from '../token-exchange.constants';
import { ExchangeCache } from './exchange-cache';
import { ExchangeCacheKeyParts } from './exchange-cache-key';

/**
 * The cache on its own, with a counting `load` in place of the auth server: what the hand-written
 * LRU and single-flight specs proved, now of the lru-cache based cache.
 */
const clock = new FakeClock();
const seconds = (value: number) => value * 1_000;

function parts(subjectToken: string, change: Partial<ExchangeCacheKeyParts> = {}): ExchangeCacheKeyParts {
  return {
    clientId: 'user-service',
    subjectToken,
    subjectTokenType: TokenTypeUri.accessToken,
    audience: 'message-service',
    resource: undefined,
    scope: 'message.read',
    actorToken: undefined,
    actorTokenType: undefined,
    requestedTokenType: undefined,
    ...change,
  };
}

const alice = (jti = 'a1', lifetimeSeconds = 3600) =>
  unsignedAccessToken({ sub: 'alice', exp: Math.floor(clock.now() / 1000) + lifetimeSeconds, jti });

/** A cache whose loads are counted and can be held open or made to fail. */
function cacheUnderTest(options: { maxEntries?: number; expiresInSeconds?: number } = {}) {
  const loads: ExchangeCacheKeyParts[] = [];
  const events = { hits: 0, misses: 0, joins: 0, evictions: 0 };
  let gate: Promise<void> | undefined;
  let failNext: Error | undefined;
  const cache = new ExchangeCache({
    maxEntries: options.maxEntries ?? 100,
    maxSkewMs: seconds(30),
    clock,
    load: async (request) => {
      loads.push(request);
      const number = loads.length;
      await gate;
      if (failNext !== undefined) {
        const error = failNext;
        failNext = undefined;
        throw error;
      }
      const token: ExchangedToken = {
        accessToken: `exchanged-${number}`,
        tokenType: 'Bearer',
        issuedTokenType: TokenTypeUri.accessToken,
        expiresAt: clock.now() + seconds(options.expiresInSeconds ?? 300),
        scope: request.scope,
      };
      return Object.freeze(token);
    },
    events: {
      hit: () => (events.hits += 1),
      miss: (joined) => {
        events.misses += 1;
        if (joined) events.joins += 1;
      },
      evicted: () => (events.evictions += 1),
    },
  });
  return {
    cache,
    loads,
    events,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    failNextWith(error: Error): void {
      failNext = error;
    },
  };
}

describe('ExchangeCache', () => {
  it('makes one load for N concurrent misses of one key, and every caller gets its token', async () => {
    const { cache, loads, events, hold } = cacheUnderTest();
    const release = hold();
    const token = alice();
    const calls = Array.from({ length: 25 }, () => cache.get(parts(token)));
    release();
    const results = await Promise.all(calls);
    expect(loads).toHaveLength(1);
    expect(new Set(results)).toEqual(new Set([results[0]]));
    expect(results[0]?.accessToken).toBe('exchanged-1');
    expect(events).toMatchObject({ misses: 25, joins: 24 });
    await cache.get(parts(token));
    expect(events.hits).toBe(1);
    expect(loads).toHaveLength(1);
  });

  it('gives every concurrent caller the one failure, keeps nothing, and loads again next time', async () => {
    const { cache, loads, hold, failNextWith } = cacheUnderTest();
    const release = hold();
    failNextWith(new Error('auth server said no'));
    const token = alice();
    const calls = Array.from({ length: 10 }, () => cache.get(parts(token)));
    release();
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && String(outcome.reason).includes('said no'))).toBe(true);
    expect(loads).toHaveLength(1);
    expect(cache.size).toBe(0);
    expect((await cache.get(parts(token))).accessToken).toBe('exchanged-2');
  });

  it('keeps different keys apart: other subject token, target, scope, actor', async () => {
    const { cache, loads } = cacheUnderTest();
    const token = alice();
    await cache.get(parts(token));
    await cache.get(parts(alice('a2')));
    await cache.get(parts(token, { audience: 'billing' }));
    await cache.get(parts(token, { audience: undefined, resource: 'http://localhost:8081' }));
    await cache.get(parts(token, { scope: 'message.write' }));
    await cache.get(parts(token, { actorToken: 'actor', actorTokenType: TokenTypeUri.accessToken }));
    await cache.get(parts(token));
    expect(loads).toHaveLength(6);
  });

  it('is bounded: never more than maxEntries, the least recently used goes first', async () => {
    const { cache, loads, events } = cacheUnderTest({ maxEntries: 2 });
    const [one, two, three] = [alice('t1'), alice('t2'), alice('t3')];
    await cache.get(parts(one));
    await cache.get(parts(two));
    await cache.get(parts(one)); // one is now the most recent
    await cache.get(parts(three)); // evicts two
    expect(cache.size).toBe(2);
    expect(events.evictions).toBe(1);
    await cache.get(parts(one));
    expect(loads).toHaveLength(3);
    await cache.get(parts(two));
    expect(loads).toHaveLength(4);
    for (let index = 0; index < 200; index += 1) await cache.get(parts(alice(`many-${index}`)));
    expect(cache.size).toBe(2);
  });

  it('serves a 5-minute token until 30 s before its exp, then loads a new one', async () => {
    const { cache, loads } = cacheUnderTest();
    const request = parts(alice());
    await cache.get(request);
    clock.advance(seconds(269));
    expect((await cache.get(request)).accessToken).toBe('exchanged-1');
    clock.advance(seconds(2));
    expect((await cache.get(request)).accessToken).toBe('exchanged-2');
    expect(loads).toHaveLength(2);
  });

  it('shrinks the margin to a quarter of a short lifetime (20 s token: used for 15 s)', async () => {
    const { cache, loads } = cacheUnderTest({ expiresInSeconds: 20 });
    const request = parts(alice());
    await cache.get(request);
    clock.advance(seconds(14));
    await cache.get(request);
    expect(loads).toHaveLength(1);
    clock.advance(seconds(2));
    await cache.get(request);
    expect(loads).toHaveLength(2);
  });

  it('never serves past the subject token: a 60 s subject token ends its exchange at 45 s', async () => {
    const { cache, loads } = cacheUnderTest();
    const request = parts(alice('short', 60));
    await cache.get(request);
    clock.advance(seconds(44));
    await cache.get(request);
    expect(loads).toHaveLength(1);
    clock.advance(seconds(2));
    await cache.get(request);
    expect(loads).toHaveLength(2);
  });

  it('hands out but does not keep a token that is already unusable (expired subject)', async () => {
    const { cache, loads } = cacheUnderTest();
    const request = parts(alice('expired', -1));
    await cache.get(request);
    expect(cache.size).toBe(0);
    await cache.get(request);
    expect(loads).toHaveLength(2);
  });

  it('invalidates an entry only while it still holds the refused token', async () => {
    const { cache, loads } = cacheUnderTest();
    const request = parts(alice());
    const first = await cache.get(request);
    expect(cache.invalidate(request, 'another-token')).toBe(false);
    expect(cache.invalidate(request, first.accessToken)).toBe(true);
    const second = await cache.get(request);
    expect(second.accessToken).toBe('exchanged-2');
    expect(cache.invalidate(request, first.accessToken)).toBe(false);
    expect((await cache.get(request)).accessToken).toBe('exchanged-2');
    expect(loads).toHaveLength(2);
  });

  it('still answers the callers of a load whose entry was evicted meanwhile', async () => {
    const { cache, loads, hold } = cacheUnderTest({ maxEntries: 1 });
    const release = hold();
    const first = cache.get(parts(alice('x1')));
    const second = cache.get(parts(alice('x2'))); // takes the only slot from the first, in flight
    release();
    const [one, two] = await Promise.all([first, second]);
    expect([one.accessToken, two.accessToken].sort()).toEqual(['exchanged-1', 'exchanged-2']);
    expect(loads).toHaveLength(2);
    expect(cache.size).toBe(1);
  });

  it('clear() empties it', async () => {
    const { cache, loads } = cacheUnderTest();
    const request = parts(alice());
    await cache.get(request);
    cache.clear();
    expect(cache.size).toBe(0);
    await cache.get(request);
    expect(loads).toHaveLength(2);
  });
});
