import { LogPosition } from '@app/kafka';
import { StateMark, stateOffsetAt } from './state-marks';

interface Waiter {
  readonly offset: number;
  readonly wake: () => void;
}

/** How far a partition is applied (-1: nothing yet), and where its states stood then (state-marks.ts). */
export interface AppliedProgress {
  readonly offset: number;
  readonly marks?: readonly StateMark[];
}

/** Reads the shared checkpoint: how far any instance's projector has applied a partition. */
export type CheckpointReader = (topic: string, partition: number) => Promise<AppliedProgress>;

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
  /** The state marks of the checkpoint `applied` came from. */
  private readonly marks = new Map<string, readonly StateMark[]>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private owned = new Set<string>();

  constructor(private readonly readCheckpoint: CheckpointReader) {}

  /** Called by the local projector after a batch is durable in MongoDB, with its checkpoint's state marks. */
  markApplied(topic: string, partition: number, offset: number, marks?: readonly StateMark[]): void {
    const slot = `${topic}:${partition}`;
    const before = this.applied.get(slot) ?? -1;
    if (offset < before) return;
    if (marks) this.marks.set(slot, marks);
    if (offset === before) return;
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

  /**
   * Once `position` (of the events topic) is applied: a state-topic offset, in `statePartition`, at
   * or after the state record its event's key got (see state-marks.ts). Null when not applied here
   * yet or when no mark covers it.
   */
  stateOffsetAt(position: LogPosition, statePartition: number): number | null {
    const slot = `${position.topic}:${position.partition}`;
    if ((this.applied.get(slot) ?? -1) < position.offset) return null;
    return stateOffsetAt(this.marks.get(slot) ?? [], position.offset, statePartition);
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
            const { offset, marks } = await this.readCheckpoint(position.topic, position.partition);
            this.markApplied(position.topic, position.partition, offset, marks);
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
