/**
 * The restarts of a consumer after a crash kafkajs does not restart from itself. One waits at a
 * time, so crashes and failed restarts never start a second chain; none runs once its owner is
 * stopping, and cancel() drops the one waiting. A restart under way never undoes a stop that came
 * meanwhile: `replace` leaves the old consumer and runs a new one, and the owner's run checks
 * whether it is stopping after each wait (disconnecting a consumer it made meanwhile).
 */
export class ConsumerRestarts {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      readonly delayMs: number;
      readonly isStopping: () => boolean;
      readonly replace: () => Promise<void>;
      readonly onFailure: (error: unknown) => void;
    },
  ) {}

  schedule(): void {
    if (this.options.isStopping() || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.restart();
    }, this.options.delayMs);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async restart(): Promise<void> {
    if (this.options.isStopping()) return;
    try {
      await this.options.replace();
    } catch (error) {
      if (this.options.isStopping()) return;
      this.options.onFailure(error);
      this.schedule();
    }
  }
}
