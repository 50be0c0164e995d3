import { LruCache } from './lru-cache';

describe('LruCache', () => {
  it('never holds more than its size, dropping the least recently used', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.evictions).toBe(1);
  });

  it('peek does not count as use', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.peek('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.peek('a')).toBeUndefined();
  });

  it('replacing a key does not grow the cache', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBe(2);
    expect(cache.evictions).toBe(0);
  });

  it('stays bounded under many keys', () => {
    const cache = new LruCache<number>(100);
    for (let index = 0; index < 10_000; index += 1) cache.set(`key-${index}`, index);
    expect(cache.size).toBe(100);
    expect(cache.get('key-9999')).toBe(9999);
    expect(cache.get('key-9899')).toBeUndefined();
  });

  it('refuses a size below one', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
