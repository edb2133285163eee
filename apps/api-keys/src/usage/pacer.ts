/**
 * Runs work one piece at a time and rests after each, `restPerBusy` times as long as it took (at
 * most `maxRestMs`): whatever arrives, what it runs takes at most 1 / (1 + restPerBusy) of the
 * time. For background work that must never starve the requests of the process it runs in.
 */
export class Pacer {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly restPerBusy: number,
    private readonly maxRestMs: number,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Runs `work` after every piece queued before it, then rests; resolves or rejects as `work` did. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(async () => {
      const began = this.clock();
      try {
        return await work();
      } finally {
        await this.sleep(Math.min(this.maxRestMs, this.restPerBusy * (this.clock() - began)));
      }
    });
    this.turn = result.catch(() => undefined);
    return result;
  }
}
