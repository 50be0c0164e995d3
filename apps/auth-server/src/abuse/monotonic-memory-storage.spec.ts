import { MonotonicMemoryStorage } from './monotonic-memory-storage';
import { MonotonicRateLimiterMemory } from './monotonic-rate-limiter-memory';

const TEN_MINUTES = 10 * 60 * 1000;

describe('MonotonicMemoryStorage', () => {
  it('counts in a window on its clock and forgets the key when the window ends', () => {
    let now = 1_000;
    const storage = new MonotonicMemoryStorage(10, () => now);
    expect(storage.incrby('k', 1, 60)).toMatchObject({ consumedPoints: 1, msBeforeNext: 60_000, isFirstInDuration: true });
    now += 59_000;
    expect(storage.incrby('k', 1, 60)).toMatchObject({ consumedPoints: 2, msBeforeNext: 1_000, isFirstInDuration: false });
    now += 1_000;
    expect(storage.get('k')).toBeNull();
    expect(storage.incrby('k', 1, 60)).toMatchObject({ consumedPoints: 1, msBeforeNext: 60_000 });
  });

  it('answers whole milliseconds however fractional its clock', () => {
    let now = 28_049.765089;
    const storage = new MonotonicMemoryStorage(10, () => now);
    storage.incrby('k', 1, 60);
    expect(storage.get('k')?.msBeforeNext).toBe(60_000);
    now += 0.4;
    expect(storage.get('k')?.msBeforeNext).toBe(60_000);
  });

  it('gives no credit for a reward after the window ended', () => {
    let now = 0;
    const storage = new MonotonicMemoryStorage(10, () => now);
    storage.incrby('k', 1, 60);
    now = 60_000;
    expect(storage.incrby('k', -1, 60)).toMatchObject({ consumedPoints: 0 });
    expect(storage.get('k')).toBeNull();
  });

  it('stays within its bound under a flood of keys, expired and then oldest windows out first', () => {
    let now = 0;
    const storage = new MonotonicMemoryStorage(100, () => now);
    storage.incrby('first', 1, 60);
    for (let key = 0; key < 1_000; key += 1) storage.incrby(`flood-${key}`, 1, 60);
    expect(storage.size).toBe(100);
    expect(storage.get('first')).toBeNull();
    expect(storage.get('flood-999')).toMatchObject({ consumedPoints: 1 });
    now = 60_000;
    storage.incrby('later', 1, 60);
    expect(storage.size).toBe(1);
  });
});

describe('MonotonicRateLimiterMemory', () => {
  afterEach(() => jest.restoreAllMocks());

  it('keeps its counts in the monotonic store (fails if rate-limiter-flexible stops using _memoryStorage)', async () => {
    let now = 0;
    const limiter = new MonotonicRateLimiterMemory({ points: 2, duration: 60 }, 10, () => now);
    await limiter.consume('k');
    await limiter.consume('k');
    expect(limiter.storage.size).toBe(1);
    await expect(limiter.consume('k')).rejects.toMatchObject({ consumedPoints: 3, msBeforeNext: 60_000 });
    await limiter.reward('k');
    expect(await limiter.get('k')).toMatchObject({ consumedPoints: 2 });
    now = 60_000;
    await expect(limiter.consume('k')).resolves.toMatchObject({ consumedPoints: 1 });
    await limiter.delete('k');
    expect(limiter.storage.size).toBe(0);
  });

  it('[H04] a backward or forward wall-clock step neither stretches nor ends a window', async () => {
    const limiter = new MonotonicRateLimiterMemory({ points: 1, duration: 60 });
    await limiter.consume('k');
    const wallClock = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(wallClock - TEN_MINUTES);
    const refusal = (await limiter.consume('k').catch((result: unknown) => result)) as { msBeforeNext: number };
    expect(refusal.msBeforeNext).toBeLessThanOrEqual(60_000);
    expect(refusal.msBeforeNext).toBeGreaterThan(0);
    jest.spyOn(Date, 'now').mockReturnValue(wallClock + TEN_MINUTES);
    await expect(limiter.consume('k')).rejects.toMatchObject({ consumedPoints: 3 });
  });
});
