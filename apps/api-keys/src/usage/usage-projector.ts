import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KeyUsage, UnreadableUsageError, decodeUsage } from '@app/contracts';
import { ConsumedBatch, PartitionConsumer } from '@app/kafka';
import { EventLog } from '../event-log/event-log';
import { kafkaLogOf } from '../logging';
import { Metrics } from '../metrics/metrics';
import { PROJECTOR_ENABLED } from '../projector/projector';
import { KeyUsageDocument, foldUsage } from './key-usage';
import { Pacer } from './pacer';
import { UsageStore } from './usage-store';

/** Keys folded between two rests: about 0.3 s of FerretDB's time. */
const KEYS_PER_STEP = 200;

/**
 * Folds the usage topic into the usage read model, with a consumer group of its own (so the key
 * projection never waits for it, and it never holds the keys' partitions). A batch is folded in
 * steps of KEYS_PER_STEP keys: each key's document read by `_id`, its counts folded in order (a
 * repeat changes nothing, see foldUsage), each changed document written once; the offsets are
 * committed after the last step. At-least-once: a batch delivered again folds to the same
 * documents. An unreadable record is skipped and counted.
 */
@Injectable()
export class UsageProjector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('usage-projector');
  private consumer: PartitionConsumer | null = null;
  /**
   * One step at a time, then a rest three times as long (at most 2 s): the projection takes at
   * most a quarter of the API's time and of its store's. It costs FerretDB about 1.4 ms a key and
   * window, so a verifier fleet answering 100,000 different keys a window would otherwise keep both
   * busy for as long as its backlog lasts, and the API's own requests with them (measured: `npm run
   * bench -- --verify`, "stack % CPU", docs/benchmarks.md). Under ordinary traffic a step takes
   * milliseconds and so does its rest; a flood is folded later (the group's lag shows it).
   */
  private readonly pacer = new Pacer(3, 2000);

  constructor(
    private readonly log: EventLog,
    private readonly store: UsageStore,
    private readonly metrics: Metrics,
    @Inject(PROJECTOR_ENABLED) private readonly enabled: boolean,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    this.consumer = this.log.usageConsumer({
      handleBatch: (batch) => this.apply(batch),
      onAssignment: () => undefined,
      log: kafkaLogOf(this.logger),
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async apply(batch: ConsumedBatch): Promise<void> {
    const usages: KeyUsage[] = [];
    for (const record of batch.records) {
      try {
        usages.push(...decodeUsage(record.value, record.key));
      } catch (error) {
        if (!(error instanceof UnreadableUsageError)) throw error;
        this.logger.warn({
          msg: 'unreadable usage record skipped',
          partition: batch.partition,
          offset: record.offset,
          reason: error.message,
        });
        this.metrics.usageRecords.inc({ outcome: 'unreadable' });
      }
    }
    // In steps of a few hundred keys, each followed by its rest (see `pacer`): a batch can name
    // thousands of keys, and a rest must follow a little work, not half a minute of it.
    for (let from = 0; from < usages.length; from += KEYS_PER_STEP)
      await this.pacer.run(() => this.fold(usages.slice(from, from + KEYS_PER_STEP)));
  }

  /** Folds usages into their keys' documents: each document read once, written once. */
  private async fold(usages: readonly KeyUsage[]): Promise<void> {
    const stored = await this.store.findMany([...new Set(usages.map((u) => u.api_key_id))]);
    const changed = new Map<number, KeyUsageDocument>();
    for (const usage of usages) {
      const next = foldUsage(changed.get(usage.api_key_id) ?? stored.get(usage.api_key_id) ?? null, usage);
      this.metrics.usageRecords.inc({ outcome: next ? 'applied' : 'repeat' });
      if (next) changed.set(usage.api_key_id, next);
    }
    await this.store.save([...changed.values()]);
  }
}
