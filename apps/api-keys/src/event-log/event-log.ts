import { OnApplicationShutdown } from '@nestjs/common';
import {
  ApiKeyEvent,
  ApiKeyState,
  AppliedPosition,
  WireRecord,
  encodeEvent,
  encodeState,
  stateTombstone,
} from '@app/contracts';
import {
  BatchingProducer,
  ConsumedBatch,
  ConsumedRecord,
  Kafka,
  KafkaLog,
  LogPosition,
  PartitionConsumer,
  createKafka,
  LogEnds,
  ensureTopics,
  partitionFor,
  pingCluster,
} from '@app/kafka';
import type { TopicSpec } from '@app/kafka';
import { AppConfig } from '../config/config';

/**
 * How long usage records are kept: long enough for a usage projection that was down, or rebuilt,
 * to catch up; they are counts, not the truth about keys, so not forever.
 */
export const USAGE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The topics the service creates when they are missing: all with KAFKA_TOPIC_PARTITIONS
 * partitions (docs/asyncapi.yaml says so, and its spec holds it to this).
 */
export function topicSpecs(config: AppConfig['kafka']): TopicSpec[] {
  return [
    { topic: config.eventsTopic, partitions: config.topicPartitions },
    { topic: config.deadLetterTopic, partitions: config.topicPartitions },
    ...(config.stateTopic ? [{ topic: config.stateTopic, partitions: config.topicPartitions, compacted: true }] : []),
    { topic: config.verifiersTopic, partitions: config.topicPartitions, shortLived: true },
    { topic: config.usageTopic, partitions: config.topicPartitions, retentionMs: USAGE_RETENTION_MS },
  ];
}

/**
 * The service's view of Kafka: append events to the log, set unreadable records aside, and
 * build the projector's consumer. Topics are created at start-up when missing.
 */
export class EventLog implements OnApplicationShutdown {
  private ends: LogEnds | null = null;

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: BatchingProducer,
    private readonly config: AppConfig['kafka'],
    private readonly eventsPartitions: number,
    private readonly statePartitions: number,
    private readonly usagePartitions: number,
    private readonly schemaBase: string,
  ) {}

  /** `schemaBase`: SCHEMA_BASE_URL, which every record's ce_dataschema starts with. */
  static async open(config: AppConfig['kafka'], log: KafkaLog, schemaBase: string): Promise<EventLog> {
    const kafka = createKafka(
      { brokers: config.brokers, clientId: config.clientId, requestTimeoutMs: config.produceTimeoutMs },
      log,
    );
    const partitionCounts = await ensureTopics(kafka, topicSpecs(config));
    const producer = new BatchingProducer(kafka, partitionCounts, config.produceTimeoutMs);
    await producer.connect();
    const eventsPartitions = partitionCounts.get(config.eventsTopic) ?? config.topicPartitions;
    const statePartitions = (config.stateTopic && partitionCounts.get(config.stateTopic)) || config.topicPartitions;
    const usagePartitions = partitionCounts.get(config.usageTopic) ?? config.topicPartitions;
    return new EventLog(kafka, producer, config, eventsPartitions, statePartitions, usagePartitions, schemaBase);
  }

  get topic(): string {
    return this.config.eventsTopic;
  }

  get partitionCount(): number {
    return this.eventsPartitions;
  }

  /** The events-topic partition that holds all of a key's events. */
  partitionOf(keyId: number): number {
    return partitionFor(this.config.eventsTopic, String(keyId), this.eventsPartitions);
  }

  /** The state-topic partition that holds a key's states (where its receipts point). */
  statePartitionOf(keyId: number): number {
    return partitionFor(this.config.stateTopic ?? '', String(keyId), this.statePartitions);
  }

  /** The usage-topic partition of a key's usage (a usage record names keys of one partition). */
  usagePartitionOf(keyId: number): number {
    return partitionFor(this.config.usageTopic, String(keyId), this.usagePartitions);
  }

  /** The Kafka client, for the service's other readers (verifier heartbeats). */
  get client(): Kafka {
    return this.kafka;
  }

  /** Resolves with the event's place in the log once all in-sync replicas have it, or fails within `timeoutMs`. */
  append(event: ApiKeyEvent, timeoutMs?: number): Promise<LogPosition> {
    return this.producer.append(this.config.eventsTopic, encodeEvent(event, this.schemaBase), timeoutMs);
  }

  /**
   * Publishes keys' current states to the compacted state topic (a revoked key: its last state,
   * then a tombstone), once all in-sync replicas have them. Per key, in the order given. Resolves
   * with where each record landed (none when this process publishes no states).
   */
  async publishStates(keys: Iterable<ApiKeyState & { readonly applied: AppliedPosition }>): Promise<LogPosition[]> {
    const topic = this.config.stateTopic;
    if (!topic) return [];
    const records = [...keys].flatMap((key) => [
      encodeState(key, key.applied, this.schemaBase),
      ...(key.deleted_at === null ? [] : [stateTombstone(key.id)]),
    ]);
    return Promise.all(records.map((record) => this.producer.append(topic, record)));
  }

  /** Copies a record the projector cannot read to the dead-letter topic, with why and where from. */
  async deadLetter(batch: ConsumedBatch, record: ConsumedRecord, reason: string): Promise<void> {
    await this.producer.append(this.config.deadLetterTopic, {
      key: record.key ?? `${batch.partition}:${record.offset}`,
      value: record.value?.toString() ?? '',
      headers: {
        ...record.headers,
        dlq_reason: reason,
        dlq_source_topic: batch.topic,
        dlq_source_partition: String(batch.partition),
        dlq_source_offset: String(record.offset),
      },
    });
  }

  consumer(options: Omit<ConstructorParameters<typeof PartitionConsumer>[1], 'groupId' | 'topic'>): PartitionConsumer {
    return new PartitionConsumer(this.kafka, {
      ...options,
      groupId: this.config.consumerGroup,
      topic: this.config.eventsTopic,
    });
  }

  /** Appends usage records (each keyed by its first key id) to the usage topic, once all in-sync replicas have them. */
  async appendUsage(records: readonly WireRecord[]): Promise<void> {
    await Promise.all(records.map((record) => this.producer.append(this.config.usageTopic, record)));
  }

  /** The usage projector's consumer: the usage topic, with a consumer group of its own. */
  usageConsumer(
    options: Omit<ConstructorParameters<typeof PartitionConsumer>[1], 'groupId' | 'topic'>,
  ): PartitionConsumer {
    return new PartitionConsumer(this.kafka, {
      ...options,
      groupId: this.config.usageConsumerGroup,
      topic: this.config.usageTopic,
    });
  }

  /** Each partition of the events topic's end offset (the offset its next record will get). */
  endOffsets(): Promise<Map<number, number>> {
    this.ends ??= new LogEnds(this.kafka, this.config.eventsTopic);
    return this.ends.fetch();
  }

  ping(): Promise<void> {
    return pingCluster(this.kafka);
  }

  /** Flushes what is in flight and disconnects; Nest calls this on shutdown. */
  async onApplicationShutdown(): Promise<void> {
    await this.ends?.close();
    await this.producer.disconnect();
  }
}
