import { usableUntil } from './usable-until';

const obtainedAt = 1_000_000;
const maxSkewMs = 30_000;

describe('usableUntil', () => {
  it('stops 30 s before expiry for a token living 5 minutes', () => {
    expect(usableUntil({ obtainedAt, expiresAt: obtainedAt + 300_000, subjectExpiresAt: undefined, maxSkewMs })).toBe(
      obtainedAt + 270_000,
    );
  });

  it('shrinks the skew to a quarter of the lifetime for short-lived tokens', () => {
    // 40 s token: skew 10 s (a fixed 30 s or 60 s skew would leave 10 s or nothing).
    expect(usableUntil({ obtainedAt, expiresAt: obtainedAt + 40_000, subjectExpiresAt: undefined, maxSkewMs })).toBe(
      obtainedAt + 30_000,
    );
    // 8 s token: skew 2 s.
    expect(usableUntil({ obtainedAt, expiresAt: obtainedAt + 8_000, subjectExpiresAt: undefined, maxSkewMs })).toBe(
      obtainedAt + 6_000,
    );
  });

  it('never outlives the subject token', () => {
    const until = usableUntil({
      obtainedAt,
      expiresAt: obtainedAt + 300_000,
      subjectExpiresAt: obtainedAt + 60_000,
      maxSkewMs,
    });
    expect(until).toBe(obtainedAt + 45_000);
  });

  it('is not usable at all when already expired', () => {
    expect(usableUntil({ obtainedAt, expiresAt: obtainedAt + 300_000, subjectExpiresAt: obtainedAt - 1, maxSkewMs })).toBe(
      obtainedAt,
    );
  });
});
