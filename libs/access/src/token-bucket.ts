/** Where a caller stands against a budget: what the X-RateLimit-* headers say. */
export interface Budget {
  readonly limit: number;
  /** Whole requests left now. */
  readonly remaining: number;
  /** When the bucket is full again (epoch milliseconds). */
  readonly resetAt: number;
  /** When the next request would be allowed (epoch milliseconds; now while one is). */
  readonly retryAt: number;
  /** False when this request was over the budget. */
  readonly allowed: boolean;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per caller: `limit` tokens, refilled continuously at `limit` per `windowMs`, one
 * taken per request. So any span of t ms admits at most limit + limit·t/windowMs requests, with no
 * burst at what used to be a window's edge. A bucket may go below zero when spending learned later
 * (another instance's) is charged to it: that debt is paid back by the refill before the caller is
 * admitted again. Memory is bounded: past `maxCallers` the least recently used bucket goes (it
 * would be full again within one window anyway).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly limit: number,
    windowMs: number,
    private readonly maxCallers = 100_000,
    readonly now: () => number = Date.now,
  ) {
    this.perMs = limit / windowMs;
  }

  /** Takes one token of `caller` if there is one; says where the caller stands either way. */
  take(caller: string): Budget {
    const at = this.now();
    const level = this.level(caller, at);
    if (level < 1) return this.budget(level, at, false);
    this.set(caller, level - 1, at);
    return this.budget(level - 1, at, true);
  }

  /** Where `caller` stands, taking nothing (`allowed`: whether a request would be). */
  peek(caller: string): Budget {
    const at = this.now();
    const level = this.level(caller, at);
    return this.budget(level, at, level >= 1);
  }

  /** Charges `count` requests made elsewhere (or already done, like a failed authentication). */
  charge(caller: string, count: number): void {
    const at = this.now();
    // The debt is bounded by one window, so a caller is never locked out for longer than that.
    this.set(caller, Math.max(-this.limit, this.level(caller, at) - count), at);
  }

  private level(caller: string, at: number): number {
    const bucket = this.buckets.get(caller);
    if (!bucket) return this.limit;
    return Math.min(this.limit, bucket.tokens + Math.max(0, at - bucket.at) * this.perMs);
  }

  private set(caller: string, tokens: number, at: number): void {
    this.buckets.delete(caller); // re-insert: the map is ordered by last use
    this.buckets.set(caller, { tokens, at });
    if (this.buckets.size > this.maxCallers) this.buckets.delete(this.buckets.keys().next().value as string);
  }

  private budget(level: number, at: number, allowed: boolean): Budget {
    return {
      limit: this.limit,
      remaining: Math.max(0, Math.floor(level)),
      resetAt: at + Math.ceil((this.limit - level) / this.perMs),
      retryAt: level >= 1 ? at : at + Math.ceil((1 - level) / this.perMs),
      allowed,
    };
  }
}
