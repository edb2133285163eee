import { randomUUID } from 'node:crypto';
import { KeyUsage, MatchedSecret, UsageCode, UsageSource, WireRecord, encodeUsage } from '@app/contracts';
import { UsageTally, countsByCode } from './usage-tally';

export interface UsagePublisherOptions {
  readonly source: UsageSource;
  /** At most one flush per this many milliseconds (USAGE_FLUSH_MS), plus one at stop(). */
  readonly flushMs: number;
  /** SCHEMA_BASE_URL, for the records' ce_dataschema. */
  readonly schemaBase: string;
  /** Appends the records to the usage topic; resolves once the broker has them all, rejects otherwise. */
  readonly send: (records: readonly WireRecord[]) => Promise<void>;
  readonly log: { warn(message: string, context: Record<string, unknown>): void };
  /** The process's id on the topic: a new one per start (tests name theirs). */
  readonly instance?: string;
  readonly clock?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Counts uses of keys in memory and publishes them to the usage topic off the request path: every
 * `flushMs`, one record per key used since the last flush (keyed by key id), and once more when
 * stopped. Each flush has the next `sequence` of this instance, so (instance, sequence) names a
 * record for good: a flush that failed is sent again, as it was and before anything newer, and a
 * reader that already has it (the first attempt may have landed) skips the repeat. Until it goes
 * through, later uses keep adding up in the tally; nothing else queues, so memory stays bounded by
 * the keys counted, whatever the broker does.
 */
export class UsagePublisher {
  readonly instance: string;
  private readonly tally = new UsageTally();
  private readonly clock: () => number;
  private sequence = 0;
  private windowStart: number;
  /** The last flush's records while the broker has not acknowledged them. */
  private unsent: readonly WireRecord[] | null = null;
  private flushing: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: UsagePublisherOptions) {
    this.instance = options.instance ?? randomUUID();
    this.clock = options.clock ?? Date.now;
    this.windowStart = this.clock();
  }

  /** Counts one use (the hot path: memory only). */
  count(keyId: number, code: UsageCode, matched: MatchedSecret, at: number): void {
    this.tally.count(keyId, code, matched, at);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    // Never what keeps a process alive.
    this.timer.unref();
  }

  /**
   * Publishes what was counted (after the previous flush's records, if they are still unsent).
   * Resolves true once everything counted before the call is on the topic, false when the broker
   * did not take it (it is kept and sent at the next flush). One flush at a time.
   */
  flush(): Promise<boolean> {
    this.flushing ??= this.publish().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Stops the timer and publishes what is left (a flush in flight first). */
  async stop(): Promise<boolean> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushing;
    return this.flush();
  }

  private async publish(): Promise<boolean> {
    if (this.unsent && !(await this.send(this.unsent))) return false;
    this.unsent = null;
    const now = this.clock();
    const drained = this.tally.drain();
    const window = { start: this.windowStart, end: now };
    this.windowStart = now;
    if (drained.size === 0) return true;
    this.sequence += 1;
    const records = [...drained].map(([keyId, tally]) => {
      const usage: KeyUsage = {
        api_key_id: keyId,
        source: this.options.source,
        instance: this.instance,
        sequence: this.sequence,
        window_start: iso(window.start),
        window_end: iso(window.end),
        last_used_at: iso(tally.lastUsedAt),
        previous_last_used_at: tally.previousLastUsedAt < 0 ? null : iso(tally.previousLastUsedAt),
        verifications: countsByCode(tally),
      };
      return encodeUsage(usage, this.options.schemaBase);
    });
    this.unsent = records;
    if (!(await this.send(records))) return false;
    this.unsent = null;
    return true;
  }

  private async send(records: readonly WireRecord[]): Promise<boolean> {
    try {
      await this.options.send(records);
      return true;
    } catch (error) {
      this.options.log.warn('usage not published; it is sent again at the next flush', {
        records: records.length,
        error: String(error),
      });
      return false;
    }
  }
}
