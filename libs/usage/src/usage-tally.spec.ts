import { UsageTally, countsByCode } from './usage-tally';

describe('UsageTally', () => {
  it('counts each key by code and secret, with its latest use and latest use of the previous secret', () => {
    const tally = new UsageTally();
    tally.count(7, 'VALID', 'current', 1000);
    tally.count(7, 'VALID', 'previous', 3000);
    tally.count(7, 'EXPIRED', 'current', 2000);
    tally.count(7, 'VALID', 'current', 2500);
    tally.count(8, 'ORIGIN_NOT_ALLOWED', 'current', 500);
    const drained = tally.drain();
    expect(countsByCode(drained.get(7)!)).toEqual({
      VALID: { current: 2, previous: 1 },
      EXPIRED: { current: 1, previous: 0 },
    });
    expect(drained.get(7)).toMatchObject({ lastUsedAt: 3000, previousLastUsedAt: 3000 });
    expect(countsByCode(drained.get(8)!)).toEqual({ ORIGIN_NOT_ALLOWED: { current: 1, previous: 0 } });
    expect(drained.get(8)).toMatchObject({ lastUsedAt: 500, previousLastUsedAt: -1 });
  });

  it('starts afresh after a drain, so no use is handed over twice', () => {
    const tally = new UsageTally();
    tally.count(7, 'VALID', 'current', 1000);
    expect(tally.drain().size).toBe(1);
    expect(tally.size).toBe(0);
    expect(tally.drain().size).toBe(0);
    tally.count(7, 'DISABLED', 'current', 2000);
    expect(countsByCode(tally.drain().get(7)!)).toEqual({ DISABLED: { current: 1, previous: 0 } });
  });
});
