/** How a wait for a position ended. */
export type WaitOutcome = 'reached' | 'timeout' | 'full';

interface Waiter {
  readonly partition: number;
  readonly offset: number;
  readonly resolve: (outcome: WaitOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Requests that asked to be answered from a state including a position (`<partition>:<offset>`),
 * waiting until this instance has applied it. Bounded twice: at most `maxWaiters` wait at once
 * (more are told 'full' at once) and each waits at most its own timeout.
 */
export class PositionWaiters {
  private readonly waiting = new Set<Waiter>();

  constructor(
    private readonly maxWaiters: number,
    private readonly appliedOffset: (partition: number) => number,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  wait(partition: number, offset: number, timeoutMs: number): Promise<WaitOutcome> {
    if (this.appliedOffset(partition) >= offset) return Promise.resolve('reached');
    if (this.waiting.size >= this.maxWaiters) return Promise.resolve('full');
    return new Promise<WaitOutcome>((resolve) => {
      const waiter: Waiter = {
        partition,
        offset,
        resolve,
        timer: setTimeout(() => this.settle(waiter, 'timeout'), timeoutMs),
      };
      this.waiting.add(waiter);
    });
  }

  /** Called after records of `partition` were applied: wakes the waits they satisfied. */
  applied(partition: number): void {
    if (this.waiting.size === 0) return;
    const at = this.appliedOffset(partition);
    for (const waiter of this.waiting)
      if (waiter.partition === partition && at >= waiter.offset) this.settle(waiter, 'reached');
  }

  /** Ends every wait (shutdown): they time out now rather than later. */
  clear(): void {
    for (const waiter of this.waiting) this.settle(waiter, 'timeout');
  }

  private settle(waiter: Waiter, outcome: WaitOutcome): void {
    if (!this.waiting.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(outcome);
  }
}
