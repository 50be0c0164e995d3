import { loadConfig } from '@baton/config';
import { authServerConfig } from '../config/auth-server.config';
import { LoginAttempt, LoginThrottle } from './login-throttle.service';
import { RateLimiterFactory } from './rate-limiter.factory';
import { TokenBucket } from './token-bucket';

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
      new RateLimiterFactory(),
    );
  const allowed = (attempt: LoginAttempt) => attempt.allowed;

  it('limits a username whether or not it exists, in any case or Unicode spelling', async () => {
    const limits = throttle();
    expect(allowed(await limits.reserve('Alice', '10.0.0.1'))).toBe(true);
    expect(allowed(await limits.reserve('alice', '10.0.0.2'))).toBe(true);
    expect(await limits.reserve('ALICE', '10.0.0.3')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(await limits.reserve('ａｌｉｃｅ', '10.0.0.3')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(allowed(await limits.reserve('nobody', '10.0.0.4'))).toBe(true);
    expect(allowed(await limits.reserve('nobody', '10.0.0.5'))).toBe(true);
    expect(allowed(await limits.reserve('nobody', '10.0.0.6'))).toBe(false);
    expect(allowed(await limits.reserve('bob', '10.0.0.6'))).toBe(true);
  });

  it('reserves before the password is tried: of many attempts at once, only the limit get through', async () => {
    const attempts = await Promise.all(Array.from({ length: 25 }, () => throttle().reserve('bob', '10.0.0.1')));
    expect(attempts.filter(allowed)).toHaveLength(25); // separate throttles: nothing shared
    const limits = throttle();
    const concurrent = await Promise.all(Array.from({ length: 25 }, () => limits.reserve('bob', '10.0.0.1')));
    expect(concurrent.filter(allowed)).toHaveLength(2);
    // Refused attempts gave back what they took: the address still has 2 of its 4 for other names.
    const others = await Promise.all(['a', 'b', 'c'].map((name) => limits.reserve(name, '10.0.0.1')));
    expect(others.map(allowed)).toEqual([true, true, false]);
  });

  it('limits an address across usernames, and a success gives back the attempt and clears only the username', async () => {
    const limits = throttle();
    for (const user of ['a', 'b', 'c', 'd']) expect(allowed(await limits.reserve(user, '10.0.0.9'))).toBe(true);
    expect(await limits.reserve('e', '10.0.0.9')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(allowed(await limits.reserve('e', '10.0.0.8'))).toBe(true);

    await limits.reserve('carol', '10.0.0.7');
    const success = await limits.reserve('carol', '10.0.0.6');
    if (!success.allowed) throw new Error('expected the second attempt to be allowed');
    await success.succeeded();
    // carol's failures are gone: two more attempts; 10.0.0.6 got its attempt back, 10.0.0.7 did not.
    expect(allowed(await limits.reserve('carol', '10.0.0.5'))).toBe(true);
    expect(allowed(await limits.reserve('carol', '10.0.0.5'))).toBe(true);
    expect(allowed(await limits.reserve('carol', '10.0.0.5'))).toBe(false);
  });

  it('is off with 0', async () => {
    const limits = throttle({ AUTH_SERVER_LOGIN_MAX_FAILURES_PER_USER: '0', AUTH_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS: '0' });
    const attempts = await Promise.all(Array.from({ length: 50 }, () => limits.reserve('bob', '10.0.0.1')));
    expect(attempts.every(allowed)).toBe(true);
  });
});
