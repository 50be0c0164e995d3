import { loadConfig } from '@baton/config';
import { authServerConfig } from '../config/auth-server.config';
import { FailureCounter } from './failure-counter';
import { LoginThrottle } from './login-throttle.service';
import { TokenBucket } from './token-bucket';

const SECOND = 1000;

describe('FailureCounter', () => {
  it('blocks a key after max failures until its window ends, then forgets it', () => {
    const counter = new FailureCounter(3, 60 * SECOND);
    counter.recordFailure('k', 0);
    counter.recordFailure('k', SECOND);
    expect(counter.blockedFor('k', SECOND)).toBeUndefined();
    counter.recordFailure('k', 2 * SECOND);
    expect(counter.blockedFor('k', 2 * SECOND)).toBe(58);
    expect(counter.blockedFor('k', 59.5 * SECOND)).toBe(1);
    expect(counter.blockedFor('k', 60 * SECOND)).toBeUndefined();
    expect(counter.size).toBe(0);
  });

  it('is off with max 0, and resets on demand', () => {
    const off = new FailureCounter(0, 60 * SECOND);
    for (let attempt = 0; attempt < 10; attempt += 1) off.recordFailure('k', 0);
    expect(off.blockedFor('k', 0)).toBeUndefined();
    const counter = new FailureCounter(1, 60 * SECOND);
    counter.recordFailure('k', 0);
    expect(counter.blockedFor('k', 0)).toBe(60);
    counter.reset('k');
    expect(counter.blockedFor('k', 0)).toBeUndefined();
  });

  it('stays within its size bound under a flood of random keys, dropping the oldest windows', () => {
    const counter = new FailureCounter(1, 60 * SECOND, 100);
    counter.recordFailure('victim', 0);
    for (let key = 0; key < 1_000; key += 1) counter.recordFailure(`random-${key}`, SECOND);
    expect(counter.size).toBe(100);
    expect(counter.blockedFor('random-999', SECOND)).toBe(60);
  });
});

describe('TokenBucket', () => {
  it('grants a burst, then the rate, and says when the next token comes', () => {
    const bucket = new TokenBucket(2, 3);
    expect([bucket.take('c', 0), bucket.take('c', 0), bucket.take('c', 0)]).toEqual([undefined, undefined, undefined]);
    expect(bucket.take('c', 0)).toBe(1);
    expect(bucket.take('c', 499)).toBe(1);
    expect(bucket.take('c', 500)).toBeUndefined();
    expect(bucket.take('c', 500)).toBe(1);
    // Keys are independent.
    expect(bucket.take('other', 500)).toBeUndefined();
  });

  it('is off at rate 0 and bounded in size', () => {
    const off = new TokenBucket(0, 1);
    for (let request = 0; request < 10; request += 1) expect(off.take('c', 0)).toBeUndefined();
    const bounded = new TokenBucket(1, 1, 10);
    for (let key = 0; key < 100; key += 1) bounded.take(`k${key}`, 0);
    expect(bounded.size).toBe(10);
  });
});

describe('LoginThrottle', () => {
  const throttle = (env: Record<string, string> = {}) =>
    new LoginThrottle(
      loadConfig(authServerConfig.schema, {
        AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER: '2',
        AUTH_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS: '4',
        AUTH_SERVER_LOGIN_FAILURE_WINDOW_SECONDS: '60',
        ...env,
      }),
    );

  it('limits a username whether or not it exists, in any case or Unicode spelling', () => {
    const limits = throttle();
    limits.recordFailure('Alice', '10.0.0.1', 0);
    limits.recordFailure('alice', '10.0.0.2', 0);
    expect(limits.blockedFor('ALICE', '10.0.0.3', 0)).toBe(60);
    expect(limits.blockedFor('ａｌｉｃｅ', '10.0.0.3', 0)).toBe(60);
    limits.recordFailure('nobody', '10.0.0.4', 0);
    limits.recordFailure('nobody', '10.0.0.5', 0);
    expect(limits.blockedFor('nobody', '10.0.0.6', 0)).toBe(60);
    expect(limits.blockedFor('bob', '10.0.0.6', 0)).toBeUndefined();
  });

  it('limits an address across usernames, and a success clears only the username', () => {
    const limits = throttle();
    for (const user of ['a', 'b', 'c', 'd']) limits.recordFailure(user, '10.0.0.9', 0);
    expect(limits.blockedFor('e', '10.0.0.9', 0)).toBe(60);
    expect(limits.blockedFor('e', '10.0.0.8', 0)).toBeUndefined();
    limits.recordFailure('carol', '10.0.0.7', 0);
    limits.recordFailure('carol', '10.0.0.6', 0);
    limits.recordSuccess('carol');
    expect(limits.blockedFor('carol', '10.0.0.5', 0)).toBeUndefined();
  });
});
