import { ConfigResourceTypes, Consumer, IHeaders, Kafka } from 'kafkajs';
import { KafkaLog } from './client';
import { ConsumerRestarts } from './consumer-restarts';

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

const RESTART_DELAY_MS = 500;
const PARTITIONS_IN_PARALLEL = 8;
const COMMIT_INTERVAL_MS = 1000;

/**
 * How long the group waits for a silent member before it gives that member's partitions to the
 * others: after an instance dies, its partitions are projected by nobody for this long (plus a
 * rebalance). The broker must allow it: its `group.min.session.timeout.ms` (Kafka's default 6000)
 * must not be above it; if it is, the consumer falls back to the broker's minimum and says so.
 * Heartbeats go every sixth of it, also while a batch is being applied, so a slow batch is never
 * mistaken for a dead member. Were a live member dropped anyway (its event loop blocked for the
 * whole session), it costs one rebalance: it rejoins at its next heartbeat.
 */
export const SESSION_TIMEOUT_MS = 2000;
/** Kafka's own default minimum, for when the broker's setting cannot be read. */
const KAFKA_DEFAULT_MIN_SESSION_TIMEOUT_MS = 6000;

/** Whether the error, or what caused it, is the broker refusing our session timeout. */
function isInvalidSessionTimeout(error: unknown): boolean {
  for (let e = error as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type === 'INVALID_SESSION_TIMEOUT') return true;
  }
  return false;
}

export function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    // A repeated header arrives as an array; ours are never repeated, so keep the last one.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

/** Who is in the consumer group: this member's id, and every member's (this one's included). */
export interface GroupMembers {
  readonly self: string;
  readonly members: readonly string[];
}

/**
 * A consumer-group member that hands each fetched batch of one partition to `handleBatch`,
 * strictly in order, and commits offsets only of batches the handler has finished. A failed batch
 * is fetched again (at-least-once), so the handler must be idempotent.
 */
export class PartitionConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private readonly restarts = new ConsumerRestarts({
    delayMs: RESTART_DELAY_MS,
    isStopping: () => this.stopping,
    replace: () => this.replace(),
    onFailure: (error) =>
      this.options.log.error('projector consumer restart failed; retrying', { error: String(error) }),
  });
  private assigned = false;
  private sessionTimeoutMs = SESSION_TIMEOUT_MS;
  private memberId: string | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: PartitionConsumerOptions,
  ) {}

  /**
   * True while this member is in the group with its assignment and consuming; false while it
   * joins, rebalances, restarts after a crash, or is stopped.
   */
  get ready(): boolean {
    return this.assigned && !this.stopping;
  }

  private get heartbeatIntervalMs(): number {
    return Math.max(100, Math.floor(this.sessionTimeoutMs / 6));
  }

  /**
   * This member's id and every member's, as the group coordinator lists them (one request to it);
   * null while this member is not in the group.
   */
  async members(): Promise<GroupMembers | null> {
    const consumer = this.consumer;
    const self = this.memberId;
    if (!consumer || !self || !this.assigned) return null;
    const members = (await consumer.describeGroup()).members.map((member) => member.memberId);
    return members.includes(self) ? { self, members } : null;
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.run();
  }

  /** Creates, connects and runs a consumer (start, and each restart after a crash). */
  private async run(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      // How long a rebalance waits for members to rejoin; one stuck in a batch is dropped after it.
      rebalanceTimeout: Math.max(10_000, 3 * this.sessionTimeoutMs),
      minBytes: 1,
      maxWaitTimeInMs: 250,
      // Bounded fetches: a replay or a backlog arrives as many middling batches, not a few huge
      // ones, which keeps the decoded events in memory (and the heap's peak) small. kafkajs's
      // defaults are 10 MB per fetch and 1 MB per partition.
      maxBytes: 6 * 1024 * 1024,
      maxBytesPerPartition: 2 * 1024 * 1024,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = true;
      this.memberId = payload.memberId;
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
      if (!payload.restart && !this.stopping && this.consumer === consumer) {
        this.options.log.error('projector consumer crashed; restarting', { error: String(payload.error) });
        const adjust = isInvalidSessionTimeout(payload.error) ? this.adoptBrokerMinimum() : Promise.resolve();
        void adjust.then(() => this.restarts.schedule());
      }
    });
    // A stop() may come while the broker is slow to answer: then this consumer must not run.
    const abandoned = () => this.stopping || this.consumer !== consumer;
    await consumer.connect();
    if (abandoned()) return void (await consumer.disconnect().catch(() => undefined));
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    if (abandoned()) return void (await consumer.disconnect().catch(() => undefined));
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
        // kafkajs heartbeats only between batches; keep beating while the store works on this
        // one, or a batch slower than the session timeout would get this member thrown out.
        // A failed beat (a rebalance, say) is found again by kafkajs's own next heartbeat.
        const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), this.heartbeatIntervalMs);
        try {
          await this.options.handleBatch({ topic: batch.topic, partition: batch.partition, records });
        } finally {
          clearInterval(beat);
        }
        payload.resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await payload.heartbeat();
      },
    });
  }

  /**
   * Leaves the group, so the other members take this one's partitions at once. kafkajs leaves only
   * after the batch in flight is done; a batch stuck on the store would hold that forever, so it
   * waits at most one session timeout: past that, the group has dropped this member anyway.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.restarts.cancel();
    this.assigned = false;
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) return;
    let timer: NodeJS.Timeout | undefined;
    const left = consumer.disconnect().then(
      () => true,
      () => true,
    );
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.sessionTimeoutMs);
    });
    const leftInTime = await Promise.race([left, gaveUp]);
    clearTimeout(timer);
    if (!leftInTime) {
      this.options.log.warn('projector stopped without leaving its group: a batch was still in flight', {
        waitedMs: this.sessionTimeoutMs,
      });
    }
  }

  /** Leaves the old consumer and runs a new one, unless stopping meanwhile. */
  private async replace(): Promise<void> {
    const old = this.consumer;
    this.consumer = null;
    if (old) await old.disconnect().catch(() => undefined);
    if (this.stopping) return;
    await this.run();
  }

  /**
   * The broker refused our session timeout: use its minimum instead (read from its config; when
   * that cannot be read, Kafka's default, or twice what was refused), and say what a faster
   * failover needs.
   */
  private async adoptBrokerMinimum(): Promise<void> {
    let minimum: number | null = null;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: brokers.map((broker) => ({
          type: ConfigResourceTypes.BROKER,
          name: String(broker.nodeId),
          configNames: ['group.min.session.timeout.ms'],
        })),
      });
      const values = resources.flatMap((r) => r.configEntries.map((entry) => Number(entry.configValue)));
      if (values.length > 0 && values.every(Number.isFinite)) minimum = Math.max(...values);
    } catch {
      // Unknown: try Kafka's default minimum.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const next =
      minimum !== null && minimum > this.sessionTimeoutMs
        ? minimum
        : Math.max(KAFKA_DEFAULT_MIN_SESSION_TIMEOUT_MS, this.sessionTimeoutMs * 2);
    this.options.log.warn(
      'the broker refuses our consumer session timeout; using its minimum, so failover takes longer',
      {
        wantedMs: SESSION_TIMEOUT_MS,
        usingMs: next,
        fix: `set group.min.session.timeout.ms=${SESSION_TIMEOUT_MS} on the broker`,
      },
    );
    this.sessionTimeoutMs = next;
  }
}
