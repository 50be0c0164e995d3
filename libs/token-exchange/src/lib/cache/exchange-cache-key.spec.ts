import { ExchangeCacheKeyParts, exchangeCacheKey, normalizeScope } from './exchange-cache-key';

const base: ExchangeCacheKeyParts = {
  clientId: 'user-service',
  subjectToken: 'token-of-alice-1',
  subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  audience: 'message-service',
  resource: undefined,
  scope: 'message.read',
  actorToken: undefined,
  actorTokenType: undefined,
  requestedTokenType: undefined,
};

describe('exchangeCacheKey', () => {
  it('is the same for the same request', () => {
    expect(exchangeCacheKey(base)).toBe(exchangeCacheKey({ ...base }));
  });

  it('separates every field that decides the issued token', () => {
    const variants: Partial<ExchangeCacheKeyParts>[] = [
      { subjectToken: 'token-of-alice-2' },
      { clientId: 'other-service' },
      { subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt' },
      { audience: 'other-service' },
      { audience: undefined, resource: 'message-service' },
      { resource: 'http://localhost:8081' },
      { scope: 'message.write' },
      { scope: 'message.read message.write' },
      { scope: undefined },
      { actorToken: 'actor', actorTokenType: 'urn:ietf:params:oauth:token-type:access_token' },
      { requestedTokenType: 'urn:ietf:params:oauth:token-type:jwt' },
      // DPoP: a token bound to one key is never served to a request proving another (or none).
      { dpopJkt: 'thumbprint-of-key-a' },
      { dpopJkt: 'thumbprint-of-key-b' },
    ];
    const keys = new Set([exchangeCacheKey(base), ...variants.map((change) => exchangeCacheKey({ ...base, ...change }))]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it('cannot be fooled by moving text across a field boundary', () => {
    const one = exchangeCacheKey({ ...base, subjectToken: 'abc|1:x', audience: 'y' });
    const two = exchangeCacheKey({ ...base, subjectToken: 'abc', audience: 'x|1:y' });
    expect(one).not.toBe(two);
    const shiftedA = exchangeCacheKey({ ...base, audience: 'ab', resource: 'c' });
    const shiftedB = exchangeCacheKey({ ...base, audience: 'a', resource: 'bc' });
    expect(shiftedA).not.toBe(shiftedB);
  });

  it('tells an absent field from an empty one', () => {
    expect(exchangeCacheKey({ ...base, resource: '' })).not.toBe(exchangeCacheKey({ ...base, resource: undefined }));
  });

  it('is a SHA-256 that does not contain the token', () => {
    const key = exchangeCacheKey(base);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('alice');
  });
});

describe('normalizeScope', () => {
  it('sorts and removes repeats so equivalent requests share an entry', () => {
    expect(normalizeScope('message.write message.read')).toBe('message.read message.write');
    expect(normalizeScope(['message.write', 'message.read', 'message.write'])).toBe('message.read message.write');
    expect(normalizeScope('  message.read  ')).toBe('message.read');
    expect(normalizeScope('message.read')).toBe('message.read');
  });

  it('treats no scope, an empty string and an empty list alike', () => {
    expect(normalizeScope(undefined)).toBeUndefined();
    expect(normalizeScope('')).toBeUndefined();
    expect(normalizeScope([])).toBeUndefined();
    expect(normalizeScope('   ')).toBeUndefined();
  });
});
