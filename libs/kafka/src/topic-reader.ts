import { Consumer, Kafka } from 'kafkajs';
import { KafkaLog } from './client';
import { ConsumedBatch, headersOf } from './partition-consumer';
import { ConsumerRestarts } from './consumer-restarts';

/** Where one partition's records are: from `low` (the first still kept) to `high` (the next offset to be written). */
export interface PartitionBounds {
  readonly low: number;
  readonly high: number;
}

export interface TopicReaderOptions {
  readonly topic: string;
  /**
   * A group of this reader alone (unique per process): kafkajs reads only as a group member, and
   * a group no other process joins gets every partition. The reader never commits, so the group
   * keeps no progress and every start reads the topic from its beginning.
   */
  readonly groupId: string;
  /** Applies a batch, in log order per partition. Synchronous: the reader's state lives in memory. */
  readonly handleBatch: (batch: ConsumedBatch) => void;
  /** Told when the reader starts or stops consuming (joined and assigned, or not). */
  readonly onConsuming: (consuming: boolean) => void;
  readonly log: KafkaLog;
  /**
   * The most one fetch brings, in all and per partition (default 4 MiB and 1 MiB). A reader that
   * keeps what it reads in memory may want less: each fetch's records are decoded into objects
   * at once, so a smaller fetch keeps the heap (and the RSS it leaves behind) smaller while the
   * topic is read from its beginning, for more round trips.
   */
  readonly fetchBytes?: { readonly total: number; readonly perPartition: number };
}

const RESTART_DELAY_MS = 1000;
const SESSION_TIMEOUT_MS = 6000;

/**
 * Reads a whole topic from the beginning and follows it, with no shared progress: what an
 * in-memory copy of a compacted topic needs (each instance holds all of it). A consumer that
 * crashes is restarted; it then reads from the beginning again, so the handler must skip offsets it
 * has already applied (records only ever disappear from a compacted topic, never change).
 */
export class TopicReader {
  private consumer: Consumer | null = null;
  private stopping = false;
  private readonly restarts = new ConsumerRestarts({
    delayMs: RESTART_DELAY_MS,
    isStopping: () => this.stopping,
    replace: () => this.replace(),
    onFailure: (error) =>
      this.options.log.error('state topic reader restart failed; retrying', { error: String(error) }),
  });
  /** Consumers made so far (start and restarts). */
  private runs = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TopicReaderOptions,
  ) {}

  /** Each partition's bounds now (one admin request; fails when the topic does not exist). */
  async bounds(): Promise<Map<number, PartitionBounds>> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      // Asked first: kafkajs would retry a missing topic's offsets, and log each attempt.
      if (!(await admin.listTopics()).includes(this.options.topic))
        throw new Error(`topic ${this.options.topic} does not exist (yet)`);
      const offsets = await admin.fetchTopicOffsets(this.options.topic);
      return new Map(offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.run();
  }

  /** Creates, connects and runs a consumer (start, and each restart after a crash). */
  private async run(): Promise<void> {
    this.runs += 1;
    const consumer = this.kafka.consumer({
      // A group of its own per run: it commits nothing and reads from the beginning anyway, and a
      // restarted consumer joining its old group would wait for the crashed member to time out.
      groupId: this.runs === 1 ? this.options.groupId : `${this.options.groupId}-${this.runs}`,
      rebalanceTimeout: SESSION_TIMEOUT_MS,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: SESSION_TIMEOUT_MS / 6,
      // Records as soon as they arrive: a revocation should reach every verifier in milliseconds.
      minBytes: 1,
      maxWaitTimeInMs: 250,
      maxBytes: this.options.fetchBytes?.total ?? 4 * 1024 * 1024,
      maxBytesPerPartition: this.options.fetchBytes?.perPartition ?? 1024 * 1024,
      allowAutoTopicCreation: false,
      // Every restart is ours (restart() below), never kafkajs's own: kafkajs restarts a crashed
      // consumer on a timer that outlives its disconnect(), so a reader stopped while the broker is
      // away would come back; ours checks whether it was stopped.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000, restartOnFailure: () => Promise.resolve(false) },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.options.onConsuming(true));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.onConsuming(false);
      if (!payload.restart && !this.stopping && this.consumer === consumer) {
        this.options.log.error('state topic reader crashed; restarting', { error: String(payload.error) });
        this.restarts.schedule();
      }
    });
    // A stop() may come while the broker is slow to answer: then this consumer must not run.
    const abandoned = () => this.stopping || this.consumer !== consumer;
    await consumer.connect();
    if (abandoned()) return void (await consumer.disconnect().catch(() => undefined));
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    if (abandoned()) return void (await consumer.disconnect().catch(() => undefined));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        this.options.handleBatch({
          topic: batch.topic,
          partition: batch.partition,
          records: batch.messages.map((m) => ({
            offset: Number(m.offset),
            key: m.key ? m.key.toString() : null,
            value: m.value,
            headers: headersOf(m.headers),
          })),
        });
        return Promise.resolve();
      },
    });
  }

  /** Leaves the group (bounded: a broker that does not answer is not waited for past the session). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.restarts.cancel();
    this.options.onConsuming(false);
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      consumer.disconnect().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, SESSION_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Leaves the old consumer and runs a new one, unless stopping meanwhile. */
  private async replace(): Promise<void> {
    const old = this.consumer;
    this.consumer = null;
    if (old) await old.disconnect().catch(() => undefined);
    if (this.stopping) return;
    await this.run();
  }
}
