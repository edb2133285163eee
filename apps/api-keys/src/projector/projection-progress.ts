import { LogPosition } from '@app/kafka';

interface Waiter {
  readonly offset: number;
  readonly wake: () => void;
}

/** Reads the shared checkpoint: how far any instance's projector has applied a partition. */
export type CheckpointReader = (topic: string, partition: number) => Promise<number>;

const OWNERSHIP_RECHECK_MS = 250;
const REMOTE_POLL_MS = 20;

/**
 * Lets a request wait until the read model includes a given log position (read-your-writes).
 * When this process's projector owns the partition, it wakes the waiters directly as it applies
 * batches, and nothing is read from MongoDB; when another instance owns it, the waiter polls the
 * checkpoint that projector writes to MongoDB. An owned waiter re-checks ownership now and then,
 * in case a rebalance moves the partition away while it waits.
 */
export class ProjectionProgress {
  private readonly applied = new Map<string, number>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private owned = new Set<string>();

  constructor(private readonly readCheckpoint: CheckpointReader) {}

  /** Called by the local projector after a batch is durable in MongoDB. */
  markApplied(topic: string, partition: number, offset: number): void {
    const slot = `${topic}:${partition}`;
    if (offset <= (this.applied.get(slot) ?? -1)) return;
    this.applied.set(slot, offset);
    const waiting = this.waiters.get(slot);
    if (!waiting) return;
    for (const waiter of waiting) {
      if (waiter.offset <= offset) waiter.wake();
    }
  }

  /** Called by the local projector on every (re)assignment of partitions. */
  setOwned(topic: string, partitions: readonly number[]): void {
    this.owned = new Set(partitions.map((p) => `${topic}:${p}`));
  }

  /** Resolves true once `position` is applied, false if that does not happen within `timeoutMs`. */
  async waitFor(position: LogPosition, timeoutMs: number): Promise<boolean> {
    const slot = `${position.topic}:${position.partition}`;
    if ((this.applied.get(slot) ?? -1) >= position.offset) return true;
    const deadline = Date.now() + timeoutMs;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const set = this.waiters.get(slot) ?? new Set<Waiter>();
      this.waiters.set(slot, set);
      const finish = (reached: boolean) => {
        if (!set.delete(waiter)) return;
        if (set.size === 0) this.waiters.delete(slot);
        clearTimeout(timer);
        resolve(reached);
      };
      const waiter: Waiter = { offset: position.offset, wake: () => finish(true) };
      set.add(waiter);
      const poll = async () => {
        if (!set.has(waiter)) return;
        if (deadline - Date.now() <= 0) return finish(false);
        if (!this.owned.has(slot)) {
          try {
            const offset = await this.readCheckpoint(position.topic, position.partition);
            this.markApplied(position.topic, position.partition, offset);
          } catch {
            // The store is unreachable right now; the deadline still bounds the wait.
          }
          if (!set.has(waiter)) return;
        }
        const interval = this.owned.has(slot) ? OWNERSHIP_RECHECK_MS : REMOTE_POLL_MS;
        timer = setTimeout(() => void poll(), Math.max(0, Math.min(interval, deadline - Date.now())));
      };
      const firstInterval = this.owned.has(slot) ? OWNERSHIP_RECHECK_MS : 0;
      timer = setTimeout(() => void poll(), Math.min(firstInterval, timeoutMs));
    });
  }
}
