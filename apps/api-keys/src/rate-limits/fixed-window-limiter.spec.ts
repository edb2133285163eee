import { FixedWindowLimiter } from './fixed-window-limiter';

describe('FixedWindowLimiter', () => {
  let now = 0;
  const make = (limit = 2, maxCallers = 100) => new FixedWindowLimiter(limit, 60_000, maxCallers, () => now);
  beforeEach(() => (now = 120_000 + 5_000));

  it('allows `limit` requests per window, then refuses, saying when the window resets', () => {
    const limiter = make();
    expect(limiter.take('a')).toEqual({ limit: 2, remaining: 1, resetAt: 180_000, allowed: true });
    expect(limiter.take('a')).toEqual({ limit: 2, remaining: 0, resetAt: 180_000, allowed: true });
    expect(limiter.take('a')).toEqual({ limit: 2, remaining: 0, resetAt: 180_000, allowed: false });
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('gives every caller a fresh budget in the next window', () => {
    const limiter = make(1);
    limiter.take('a');
    expect(limiter.take('a').allowed).toBe(false);
    now = 180_000;
    expect(limiter.take('a')).toEqual({ limit: 1, remaining: 0, resetAt: 240_000, allowed: true });
  });

  it('peeks without counting', () => {
    const limiter = make(1);
    expect(limiter.peek('a')).toMatchObject({ remaining: 1, allowed: true });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.peek('a')).toMatchObject({ remaining: 0, allowed: true });
  });

  it('tracks at most maxCallers, forgetting the least recently seen first', () => {
    const limiter = make(1, 2);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    expect(limiter.take('a').allowed).toBe(true); // forgotten, so counted afresh
    expect(limiter.take('c').allowed).toBe(false);
  });
});
