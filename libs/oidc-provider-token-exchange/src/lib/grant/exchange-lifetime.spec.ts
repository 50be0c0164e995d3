import { exchangeExpiry } from './exchange-lifetime';

describe('exchangeExpiry', () => {
  it('gives the target lifetime when the subject token outlives it', () => {
    expect(exchangeExpiry({ now: 1000, targetTtl: 300, subjectExp: 5000 })).toBe(1300);
  });

  it('never goes beyond the subject token, nor the actor token', () => {
    expect(exchangeExpiry({ now: 1000, targetTtl: 300, subjectExp: 1010 })).toBe(1010);
    expect(exchangeExpiry({ now: 1000, targetTtl: 300, subjectExp: 5000, actorExp: 1100 })).toBe(1100);
  });
});
