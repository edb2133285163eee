import { Kafka, Message, Partitioners, Producer, RecordMetadata } from 'kafkajs';
import { partitionFor } from './partitioner';

/** Where an appended record ended up: what a reader waits for to see it. */
export interface LogPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface OutgoingRecord {
  readonly key: string;
  /** Null is a tombstone: on a compacted topic, it forgets the key. */
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The record could not be appended in time. `outcomeUnknown` is true when the record had already
 * been handed to the broker (it may still land); false when it never left this process.
 */
export class ProducerUnavailableError extends Error {
  constructor(
    message: string,
    readonly outcomeUnknown: boolean,
  ) {
    super(message);
    this.name = 'ProducerUnavailableError';
  }
}

interface Pending {
  readonly topic: string;
  readonly partition: number;
  readonly record: OutgoingRecord;
  readonly resolve: (position: LogPosition) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
  done: boolean;
}

const MAX_BATCH = 500;

/**
 * An idempotent, acks=all producer with at most one request in flight. Records appended while a
 * request is in flight wait and leave together in the next one, so under load many appends share
 * one round trip, and the one-in-flight rule keeps kafkajs's idempotent sequencing simple.
 * Every append settles within `timeoutMs`: a broker outage shows as an error, not a hang.
 */
export class BatchingProducer {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private inFlight: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly partitionCounts: ReadonlyMap<string, number>,
    private readonly timeoutMs: number,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Every record carries its partition (see partitionFor); naming the partitioner only
      // silences kafkajs's warning about its v2 default change.
      createPartitioner: Partitioners.DefaultPartitioner,
      // kafkajs defaults an idempotent producer to retrying almost forever; bound it.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Resolves with the record's place in the log, or fails within `timeoutMs` (the producer's bound by default). */
  append(topic: string, record: OutgoingRecord, timeoutMs = this.timeoutMs): Promise<LogPosition> {
    const partitionCount = this.partitionCounts.get(topic);
    if (partitionCount === undefined) return Promise.reject(new Error(`topic ${topic} is not known to this producer`));
    return new Promise<LogPosition>((resolve, reject) => {
      const pending: Pending = {
        topic,
        partition: partitionFor(topic, record.key, partitionCount),
        record,
        resolve,
        reject,
        done: false,
      };
      pending.timer = setTimeout(() => this.expire(pending), Math.min(timeoutMs, this.timeoutMs));
      this.queue.push(pending);
      this.flush();
    });
  }

  async disconnect(): Promise<void> {
    for (const pending of this.queue.splice(0))
      this.fail(pending, new ProducerUnavailableError('producer is shutting down', false));
    await this.inFlight;
    await this.producer.disconnect();
  }

  private expire(pending: Pending): void {
    const index = this.queue.indexOf(pending);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.fail(pending, new ProducerUnavailableError('Kafka did not accept the event in time', false));
    } else {
      this.fail(pending, new ProducerUnavailableError('Kafka did not acknowledge the event in time', true));
    }
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = null;
      this.flush();
    });
  }

  private async send(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const messages = byTopic.get(p.topic) ?? [];
      messages.push({
        key: p.record.key,
        value: p.record.value,
        headers: { ...p.record.headers },
        partition: p.partition,
      });
      byTopic.set(p.topic, messages);
    }
    let acks: RecordMetadata[];
    try {
      acks = await this.producer.sendBatch({
        acks: -1,
        timeout: this.timeoutMs,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      // The request left this process, perhaps more than once (kafkajs retries it): whatever the
      // last error says, an earlier attempt may have landed. Only the broker knows.
      const failure = new ProducerUnavailableError(`Kafka is unavailable: ${(error as Error).message}`, true);
      for (const p of batch) this.fail(p, failure);
      return;
    }
    // Within one partition the records of a request are appended in order from baseOffset.
    const next = new Map(acks.map((a) => [`${a.topicName}:${a.partition}`, Number(a.baseOffset)]));
    for (const p of batch) {
      const slot = `${p.topic}:${p.partition}`;
      const offset = next.get(slot);
      if (offset === undefined || offset < 0) {
        this.fail(p, new ProducerUnavailableError(`no acknowledgement for ${slot}`, true));
        continue;
      }
      next.set(slot, offset + 1);
      this.succeed(p, { topic: p.topic, partition: p.partition, offset });
    }
  }

  private succeed(pending: Pending, position: LogPosition): void {
    if (pending.done) return;
    pending.done = true;
    clearTimeout(pending.timer);
    pending.resolve(position);
  }

  private fail(pending: Pending, error: Error): void {
    if (pending.done) return;
    pending.done = true;
    clearTimeout(pending.timer);
    pending.reject(error);
  }
}
