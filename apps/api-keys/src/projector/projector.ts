import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { UnreadableEventError, decodeEvent } from '@app/contracts';
import { ApiKeyEvent, evolve } from '@app/domain';
import { ConsumedBatch, PartitionConsumer } from '@app/kafka';
import { EventLog } from '../event-log/event-log';
import { AppliedPosition, ProjectedKey } from '../read-model/api-key.document';
import { ApiKeysReadModel, checkpointId } from '../read-model/api-keys.read-model';
import { KeyStateCache } from '../read-model/key-state-cache';
import { kafkaLogOf } from '../logging';
import { ProjectionProgress } from './projection-progress';

/** Whether this process runs the projector (the bootstrap command does not join the group). */
export const PROJECTOR_ENABLED = Symbol('PROJECTOR_ENABLED');

/**
 * Folds the events topic into the `api_keys` read model. One batch is one partition's records
 * in log order: they are decoded, folded in memory onto the current documents (cached, or loaded
 * in one query), written with one bulk write plus one checkpoint; only then are the cache updated,
 * the waiting requests woken and the Kafka offsets committed. Records it cannot read go to the dead-letter topic and the partition moves on.
 */
@Injectable()
export class Projector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projector');
  private consumer: PartitionConsumer | null = null;

  constructor(
    private readonly log: EventLog,
    private readonly readModel: ApiKeysReadModel,
    private readonly progress: ProjectionProgress,
    private readonly cache: KeyStateCache,
    @Inject(PROJECTOR_ENABLED) private readonly enabled: boolean,
  ) {}

  /** Ready once it has joined the consumer group (or when this process does not project). */
  get ready(): boolean {
    return !this.enabled || (this.consumer?.ready ?? false);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    this.consumer = this.log.consumer({
      handleBatch: (batch) => this.apply(batch),
      onAssignment: (partitions) => {
        this.cache.setOwned(partitions);
        this.progress.setOwned(this.log.topic, partitions);
      },
      log: kafkaLogOf(this.logger),
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async apply(batch: ConsumedBatch): Promise<void> {
    const events: { event: ApiKeyEvent; at: AppliedPosition }[] = [];
    for (const record of batch.records) {
      try {
        events.push({
          event: decodeEvent(record.value, record.key),
          at: { partition: batch.partition, offset: record.offset },
        });
      } catch (error) {
        if (!(error instanceof UnreadableEventError)) throw error;
        this.logger.warn({
          msg: 'unreadable event set aside to the dead-letter topic',
          partition: batch.partition,
          offset: record.offset,
          reason: error.message,
        });
        await this.log.deadLetter(batch, record, error.message);
      }
    }
    // This projector is the only writer of its partitions' keys: cached states are current.
    const states = new Map<number, ProjectedKey>();
    const unknown: number[] = [];
    for (const id of new Set(events.map((e) => e.event.api_key_id))) {
      const cached = this.cache.get(id);
      if (cached) states.set(id, cached);
      else unknown.push(id);
    }
    if (unknown.length > 0) for (const [id, doc] of await this.readModel.loadMany(unknown)) states.set(id, doc);
    const changed = new Map<number, ProjectedKey>();
    for (const { event, at } of events) {
      const after = project(states.get(event.api_key_id) ?? null, event, at);
      if (after) {
        states.set(event.api_key_id, after);
        changed.set(event.api_key_id, after);
      }
    }
    const lastOffset = batch.records[batch.records.length - 1].offset;
    // Order matters. Documents first, then this process's cache, then the checkpoint: whoever
    // sees the checkpoint (a request polling it, another instance) must find the documents and
    // the cache at least as new. A crash between steps leaves documents ahead of the
    // checkpoint, which the per-key applied position makes harmless on redelivery.
    await this.readModel.saveKeys([...changed.values()]);
    this.cache.applied(batch.partition, states.values());
    await this.readModel.saveCheckpoint({
      _id: checkpointId(batch.topic, batch.partition),
      topic: batch.topic,
      partition: batch.partition,
      offset: lastOffset,
    });
    this.progress.markApplied(batch.topic, batch.partition, lastOffset);
  }
}

/**
 * The domain's fold, made idempotent by log position: an event at or before the key's applied
 * position was folded in already (a redelivery). Null when the event changes nothing.
 */
export function project(current: ProjectedKey | null, event: ApiKeyEvent, at: AppliedPosition): ProjectedKey | null {
  if (current && at.offset <= current.applied.offset) return null;
  const next = evolve(current, event);
  return next && next !== current ? { ...next, applied: at } : null;
}
