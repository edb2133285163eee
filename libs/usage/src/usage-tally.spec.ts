import { UsageTally } from './usage-tally';

const all = (tally: UsageTally) => Array.from({ length: tally.size }, (_, i) => tally.at(i));

describe('UsageTally', () => {
  it('counts each key by code and secret, with its latest use and latest use of the previous secret', () => {
    const tally = new UsageTally();
    tally.count(7, 'VALID', 'current', 1000);
    tally.count(7, 'VALID', 'previous', 3000);
    tally.count(7, 'EXPIRED', 'current', 2000);
    tally.count(7, 'VALID', 'current', 2500);
    tally.count(8, 'ORIGIN_NOT_ALLOWED', 'current', 500);
    expect(all(tally)).toEqual([
      {
        keyId: 7,
        lastUsedAt: 3000,
        previousLastUsedAt: 3000,
        verifications: { VALID: { current: 2, previous: 1 }, EXPIRED: { current: 1, previous: 0 } },
      },
      {
        keyId: 8,
        lastUsedAt: 500,
        previousLastUsedAt: -1,
        verifications: { ORIGIN_NOT_ALLOWED: { current: 1, previous: 0 } },
      },
    ]);
  });

  it('keeps every key and count as it grows past its first arrays', () => {
    const tally = new UsageTally();
    for (let round = 1; round <= 3; round++)
      for (let id = 1; id <= 5000; id++) tally.count(1_000_000_000 + id, 'VALID', 'current', round * 10 + id);
    expect(tally.size).toBe(5000);
    const keys = all(tally);
    expect(keys[0]).toEqual({
      keyId: 1_000_000_001,
      lastUsedAt: 31,
      previousLastUsedAt: -1,
      verifications: { VALID: { current: 3, previous: 0 } },
    });
    expect(keys[4999]).toEqual({
      keyId: 1_000_005_000,
      lastUsedAt: 5030,
      previousLastUsedAt: -1,
      verifications: { VALID: { current: 3, previous: 0 } },
    });
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(5000);
  });

  it('keeps real epoch times to the millisecond, and counts every code and secret of a key apart', () => {
    const tally = new UsageTally();
    const at = Date.parse('2026-12-05T17:00:00.123Z');
    tally.count(5, 'VALID', 'current', at);
    tally.count(5, 'VALID', 'current', at + 9_999);
    for (const code of ['VALID', 'DISABLED', 'EXPIRED', 'ORIGIN_NOT_ALLOWED', 'ASSISTANT_NOT_ALLOWED'] as const)
      tally.count(5, code, 'previous', at + 500);
    expect(tally.at(0)).toEqual({
      keyId: 5,
      lastUsedAt: at + 9_999,
      previousLastUsedAt: at + 500,
      verifications: {
        VALID: { current: 2, previous: 1 },
        DISABLED: { current: 0, previous: 1 },
        EXPIRED: { current: 0, previous: 1 },
        ORIGIN_NOT_ALLOWED: { current: 0, previous: 1 },
        ASSISTANT_NOT_ALLOWED: { current: 0, previous: 1 },
      },
    });
  });

  it('counts nothing once closed, and keeps what it had for publication', () => {
    const tally = new UsageTally();
    tally.count(7, 'VALID', 'current', 1000);
    expect(tally.close()).toBe(tally);
    tally.count(7, 'VALID', 'current', 2000);
    tally.count(9, 'DISABLED', 'current', 2000);
    expect(all(tally)).toEqual([
      { keyId: 7, lastUsedAt: 1000, previousLastUsedAt: -1, verifications: { VALID: { current: 1, previous: 0 } } },
    ]);
  });
});
