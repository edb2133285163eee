import { randomUUID } from 'node:crypto';
import {
  KeyUses,
  MAX_KEYS_PER_USAGE_RECORD,
  MatchedSecret,
  UsageCode,
  UsageSource,
  WireRecord,
  encodeUsage,
} from '@app/contracts';
import { KeyTally, UsageTally } from './usage-tally';

export interface UsagePublisherOptions {
  readonly source: UsageSource;
  /** At most one flush per this many milliseconds (USAGE_FLUSH_MS), plus one at stop(). */
  readonly flushMs: number;
  /** SCHEMA_BASE_URL, for the records' ce_dataschema. */
  readonly schemaBase: string;
  /** Appends the records to the usage topic; resolves once the broker has them all, rejects otherwise. */
  readonly send: (records: readonly WireRecord[]) => Promise<void>;
  /**
   * How key ids map to the usage topic's partitions (a record names keys of one partition only);
   * rejects while that is not known (the topic not there yet): the flush is tried at the next.
   */
  readonly partitionOf: () => Promise<(keyId: number) => number>;
  readonly log: { warn(message: string, context: Record<string, unknown>): void };
  /** The process's id on the topic: a new one per start (tests name theirs). */
  readonly instance?: string;
  readonly clock?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A closed window being published: its keys' records go out in order, one at a time. */
interface ClosedWindow {
  readonly sequence: number;
  readonly start: string;
  readonly end: string;
  readonly tally: UsageTally;
  /** The tally's indexes, grouped by partition, and where each record's keys begin and end in it. */
  records: { readonly order: Uint32Array; readonly bounds: readonly (readonly [number, number])[] } | null;
  /** Records the broker has acknowledged (the first `sent` of `records`). */
  sent: number;
}

/** Keys grouped between two turns of the event loop (a partition each costs a hash of the id). */
const KEYS_PER_TURN = 2000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The records of a window: its keys grouped by partition, at most MAX_KEYS_PER_USAGE_RECORD a
 * record. Grouping yields to the event loop every KEYS_PER_TURN keys, and each record is encoded
 * just before it is sent, so a flush never holds more than one encoded record and never keeps the
 * event loop (the verify route's) for long: grouping 100,000 keys in one go stalled it for about
 * 200 ms (the verify bench's p99 at 64 connections).
 */
async function recordsOf(
  tally: UsageTally,
  partitionOf: (keyId: number) => number,
): Promise<NonNullable<ClosedWindow['records']>> {
  const partitions = new Map<number, number[]>();
  for (let i = 0; i < tally.size; i++) {
    if (i > 0 && i % KEYS_PER_TURN === 0) await nextTurn();
    const partition = partitionOf(tally.keyIdAt(i));
    const list = partitions.get(partition);
    if (list) list.push(i);
    else partitions.set(partition, [i]);
  }
  const order = new Uint32Array(tally.size);
  const bounds: [number, number][] = [];
  let at = 0;
  for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
    const indexes = partitions.get(partition) ?? [];
    order.set(indexes, at);
    for (let from = at; from < at + indexes.length; from += MAX_KEYS_PER_USAGE_RECORD)
      bounds.push([from, Math.min(from + MAX_KEYS_PER_USAGE_RECORD, at + indexes.length)]);
    at += indexes.length;
  }
  return { order, bounds };
}

/**
 * Counts uses of keys in memory and publishes them to the usage topic off the request path: every
 * `flushMs`, the uses of each key used since the last flush (records of up to 500 keys of one
 * partition), and once more when stopped. Each flush has the next `sequence` of this instance, so
 * (instance, sequence) names a key's counts for good: a flush that failed is sent again, from its
 * first record the broker did not acknowledge, as it was and before anything newer; a reader that
 * already has a key's counts (the first attempt may have landed) skips the repeat. Until it goes
 * through, later uses keep adding up in a new tally; nothing else queues, so memory stays bounded
 * by two tallies, whatever the broker does.
 */
export class UsagePublisher {
  readonly instance: string;
  private tally = new UsageTally();
  private readonly clock: () => number;
  private sequence = 0;
  private windowStart: number;
  /** The last flush's window while the broker has not acknowledged all of it. */
  private unsent: ClosedWindow | null = null;
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
    if (this.unsent && !(await this.sendRest(this.unsent))) return false;
    this.unsent = null;
    const now = this.clock();
    const tally = this.tally.close();
    this.tally = new UsageTally();
    const start = this.windowStart;
    this.windowStart = now;
    if (tally.size === 0) return true;
    this.sequence += 1;
    this.unsent = { sequence: this.sequence, start: iso(start), end: iso(now), tally, records: null, sent: 0 };
    if (!(await this.sendRest(this.unsent))) return false;
    this.unsent = null;
    return true;
  }

  /** Sends a window's records from the first one not acknowledged, one at a time. */
  private async sendRest(window: ClosedWindow): Promise<boolean> {
    if (!window.records) {
      let partitionOf: (keyId: number) => number;
      try {
        partitionOf = await this.options.partitionOf();
      } catch (error) {
        this.options.log.warn('usage not published; it is sent at the next flush', { error: String(error) });
        return false;
      }
      window.records = await recordsOf(window.tally, partitionOf);
    }
    const { order, bounds } = window.records;
    for (; window.sent < bounds.length; window.sent++) {
      const [from, to] = bounds[window.sent];
      const keys: KeyUses[] = [];
      for (let i = from; i < to; i++) keys.push(this.usesOf(window.tally.at(order[i])));
      const record = encodeUsage(
        {
          source: this.options.source,
          instance: this.instance,
          sequence: window.sequence,
          window_start: window.start,
          window_end: window.end,
          keys,
        },
        this.options.schemaBase,
      );
      if (!(await this.send([record]))) return false;
    }
    return true;
  }

  private usesOf(tally: KeyTally): KeyUses {
    return {
      api_key_id: tally.keyId,
      last_used_at: iso(tally.lastUsedAt),
      previous_last_used_at: tally.previousLastUsedAt < 0 ? null : iso(tally.previousLastUsedAt),
      verifications: tally.verifications,
    };
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
