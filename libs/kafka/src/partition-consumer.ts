import { Consumer, IHeaders, Kafka } from 'kafkajs';
import { KafkaLog } from './client';

export interface ConsumedRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** Consecutive records of one partition, in log order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
}

export interface PartitionConsumerOptions {
  readonly groupId: string;
  readonly topic: string;
  /** Must persist the batch's effect; the offsets are committed only after it resolves. */
  readonly handleBatch: (batch: ConsumedBatch) => Promise<void>;
  /** Told which partitions this member owns after each rebalance (empty while rebalancing). */
  readonly onAssignment: (partitions: readonly number[]) => void;
  readonly log: KafkaLog;
}

const RESTART_DELAY_MS = 1000;
const PARTITIONS_IN_PARALLEL = 8;
const COMMIT_INTERVAL_MS = 1000;

function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    // A repeated header arrives as an array; ours are never repeated, so keep the last one.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

/**
 * A consumer-group member that hands each fetched batch of one partition to `handleBatch`,
 * strictly in order, and commits offsets only of batches the handler has finished. A failed batch
 * is fetched again (at-least-once), so the handler must be idempotent.
 */
export class PartitionConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private assigned = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: PartitionConsumerOptions,
  ) {}

  /** True once this member has joined the group and received its assignment. */
  get ready(): boolean {
    return this.assigned;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      minBytes: 1,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = true;
      this.options.onAssignment(payload.memberAssignment[this.options.topic] ?? []);
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.assigned = false;
      this.options.onAssignment([]);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.assigned = false;
      this.options.onAssignment([]);
      // kafkajs restarts by itself for retriable errors; for the rest, we restart it, since a
      // projector that stays down would leave every read stale forever.
      if (!payload.restart && !this.stopping) {
        this.options.log.error('projector consumer crashed; restarting', { error: String(payload.error) });
        setTimeout(() => void this.restart(), RESTART_DELAY_MS);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      // Partitions are independent: apply up to this many at once, each still strictly in order.
      partitionsConsumedConcurrently: PARTITIONS_IN_PARALLEL,
      // kafkajs commits only offsets we resolved, and we resolve a batch only after handleBatch
      // has made it durable. Committing on an interval rather than after every batch saves a
      // round trip per batch; after a crash, at most one interval is delivered again.
      autoCommit: true,
      autoCommitInterval: COMMIT_INTERVAL_MS,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
        const records = batch.messages.map((m) => ({
          offset: Number(m.offset),
          key: m.key ? m.key.toString() : null,
          value: m.value,
          headers: headersOf(m.headers),
        }));
        await this.options.handleBatch({ topic: batch.topic, partition: batch.partition, records });
        payload.resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await payload.heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.assigned = false;
    const consumer = this.consumer;
    this.consumer = null;
    // Always disconnect: a member that vanishes makes the next join wait out its session timeout.
    if (consumer) await consumer.disconnect();
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    try {
      const old = this.consumer;
      this.consumer = null;
      if (old) await old.disconnect().catch(() => undefined);
      await this.start();
    } catch (error) {
      this.options.log.error('projector consumer restart failed; retrying', { error: String(error) });
      setTimeout(() => void this.restart(), RESTART_DELAY_MS);
    }
  }
}
