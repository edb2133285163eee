/** Where a caller stands against a budget: what the X-RateLimit-* headers say. */
export interface Budget {
  readonly limit: number;
  readonly remaining: number;
  /** When the window, and with it the budget, resets (epoch milliseconds). */
  readonly resetAt: number;
  /** False when this request was over the budget. */
  readonly allowed: boolean;
}

/**
 * Counts requests per caller in fixed windows (all callers' windows start together), so a budget
 * is `limit` requests per `windowMs` and resets at a time the client can be told. Memory is
 * bounded: every counter goes at the window's end, and past `maxCallers` the oldest go first.
 * Counts are this process's own: with several instances each keeps its own window.
 */
export class FixedWindowLimiter {
  private counts = new Map<string, number>();
  private windowStart = 0;

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
    private readonly maxCallers = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request of `caller` and says whether it was within the budget. */
  take(caller: string): Budget {
    const used = this.used(caller) + 1;
    this.counts.delete(caller); // re-insert: the map is ordered by last use
    this.counts.set(caller, used);
    if (this.counts.size > this.maxCallers) this.counts.delete(this.counts.keys().next().value as string);
    return this.budget(used);
  }

  /** Where `caller` stands, counting nothing. */
  peek(caller: string): Budget {
    return this.budget(this.used(caller));
  }

  private used(caller: string): number {
    const start = Math.floor(this.now() / this.windowMs) * this.windowMs;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts = new Map();
    }
    return this.counts.get(caller) ?? 0;
  }

  private budget(used: number): Budget {
    return {
      limit: this.limit,
      remaining: Math.max(0, this.limit - used),
      resetAt: this.windowStart + this.windowMs,
      allowed: used <= this.limit,
    };
  }
}
