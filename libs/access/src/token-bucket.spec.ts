import { TokenBuckets } from './token-bucket';

const WINDOW = 60_000;

describe('TokenBuckets', () => {
  let now = 0;
  const make = (limit = 2, maxCallers = 100) => new TokenBuckets(limit, WINDOW, maxCallers, () => now);
  beforeEach(() => (now = 1_000_000));

  it('allows `limit` requests at once, then refuses, saying when one is back and when it is full', () => {
    const buckets = make(2);
    expect(buckets.take('a')).toMatchObject({ limit: 2, remaining: 1, resetAt: now + 30_000, allowed: true });
    expect(buckets.take('a')).toMatchObject({ remaining: 0, resetAt: now + 60_000, allowed: true });
    expect(buckets.take('a')).toMatchObject({ remaining: 0, retryAt: now + 30_000, allowed: false });
    expect(buckets.take('b').allowed).toBe(true);
  });

  it('refills continuously: one request back after window/limit, the whole budget after a window', () => {
    const buckets = make(2);
    buckets.take('a');
    buckets.take('a');
    now += 29_999;
    expect(buckets.take('a').allowed).toBe(false);
    now += 1;
    expect(buckets.take('a')).toMatchObject({ remaining: 0, allowed: true });
    now += 10 * WINDOW;
    expect(buckets.peek('a')).toMatchObject({ remaining: 2, resetAt: now, allowed: true });
  });

  it('peeks without taking', () => {
    const buckets = make(1);
    expect(buckets.peek('a')).toMatchObject({ remaining: 1, allowed: true });
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.peek('a')).toMatchObject({ remaining: 0, allowed: false });
  });

  it('admits no more than B + B·t/W in any span of t, also across what used to be a window change', () => {
    const limit = 60;
    const buckets = make(limit);
    // A client that tries every 10 ms from just before a calendar minute ends until three later.
    const admitted: number[] = [];
    for (now = 59_000; now <= 4 * WINDOW; now += 10) if (buckets.take('a').allowed) admitted.push(now);
    for (let i = 0; i < admitted.length; i++) {
      for (let j = i; j < admitted.length; j++) {
        const span = admitted[j] - admitted[i];
        expect(j - i + 1).toBeLessThanOrEqual(limit + (limit * span) / WINDOW);
      }
    }
    // Where the fixed window gave 2B within a second of the edge, the bucket gives B (plus its refill).
    const nearEdge = admitted.filter((t) => t >= 59_000 && t < 61_000).length;
    expect(nearEdge).toBeGreaterThanOrEqual(limit);
    expect(nearEdge).toBeLessThanOrEqual(limit + 2);
  });

  it('charges requests made elsewhere, as a debt the refill pays back before the next admission', () => {
    const buckets = make(2);
    buckets.charge('a', 5); // 3 below zero, bounded at one budget below: -2
    expect(buckets.peek('a')).toMatchObject({ remaining: 0, allowed: false, retryAt: now + 90_000 });
    now += 89_999;
    expect(buckets.take('a').allowed).toBe(false);
    now += 1;
    expect(buckets.take('a').allowed).toBe(true);
  });

  it('tracks at most maxCallers, forgetting the least recently used first', () => {
    const buckets = make(1, 2);
    buckets.take('a');
    buckets.take('b');
    buckets.take('c');
    expect(buckets.take('a').allowed).toBe(true); // forgotten, so full again
    expect(buckets.take('c').allowed).toBe(false);
  });
});
