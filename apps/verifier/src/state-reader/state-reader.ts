import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { UnreadableStateError, decodeState } from '@app/contracts';
import { ConsumedBatch, PartitionBounds, TopicReader, createKafka } from '@app/kafka';
import { VERIFIER_CONFIG, VerifierConfig } from '../config/config';
import { partitionsBehind } from '../key-index/catch-up';
import { KeyIndex } from '../key-index/key-index';
import { PositionWaiters } from '../key-index/position-waiters';
import { kafkaLogOf } from '../logging';
import { collectGarbage } from '../memory/idle-collector';
import { Metrics } from '../metrics/metrics';

const RETRY_MS = 1000;
const KEY_ID = /^[1-9][0-9]{0,15}$/;
/**
 * Fetches of 1 MiB at most (256 KiB a partition), not the reader's default 4 MiB: a fetch's records
 * are decoded into objects all at once, so smaller fetches keep the heap V8 grows (and keeps) during
 * the load smaller. 256 KiB fetches loaded 100,000 keys in 8.1 s on a busy machine, too close to
 * the 10 s (docs/benchmarks.md, `npm run bench -- --verify`).
 */
const FETCH_BYTES = { total: 1024 * 1024, perPartition: 256 * 1024 };

/**
 * Feeds the KeyIndex from the state topic: the whole topic from its beginning, then live, with a
 * consumer group of this instance alone that never commits (TopicReader), so instances share no
 * progress and each holds every key. Ready once it has applied everything up to the log ends it
 * found at start (a verifier that answered from half a topic would call live keys NOT_FOUND), and
 * while its reader is consuming.
 */
@Injectable()
export class StateReader implements OnApplicationBootstrap, OnApplicationShutdown {
  /** This process's name among verifiers (its consumer group, and later its heartbeats). */
  readonly instanceId = randomUUID();
  private readonly reader: TopicReader;
  private readonly logger = new Logger('state-reader');
  private targets: ReadonlyMap<number, PartitionBounds> | null = null;
  private caughtUp = false;
  private consuming = false;
  private stopped = false;
  private waitingFor = 'starting';
  private readonly began = Date.now();

  constructor(
    @Inject(VERIFIER_CONFIG) private readonly config: VerifierConfig,
    private readonly index: KeyIndex,
    private readonly waiters: PositionWaiters,
    private readonly metrics: Metrics,
  ) {
    const kafka = createKafka(
      { brokers: config.kafka.brokers, clientId: config.kafka.clientId, requestTimeoutMs: 3000 },
      kafkaLogOf(new Logger('kafka')),
    );
    this.reader = new TopicReader(kafka, {
      topic: config.kafka.stateTopic,
      groupId: `${config.kafka.clientId}-${this.instanceId}`,
      handleBatch: (batch) => this.apply(batch),
      onConsuming: (consuming) => (this.consuming = consuming),
      log: kafkaLogOf(new Logger('kafka')),
      fetchBytes: FETCH_BYTES,
    });
  }

  /** Starts in the background: the HTTP server listens (and says 503) while the topic is read. */
  onApplicationBootstrap(): void {
    void this.begin();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.waiters.clear();
    await this.reader.stop();
  }

  /** Whether verifications may be answered: caught up with the start's log ends, and following the topic. */
  get ready(): boolean {
    return this.caughtUp && this.consuming && !this.stopped;
  }

  /** Why this instance is not ready ([] when it is). */
  problems(): string[] {
    if (this.stopped) return ['verifier: shutting down'];
    if (!this.targets) return [`state topic ${this.config.kafka.stateTopic}: ${this.waitingFor}`];
    if (!this.caughtUp) {
      const behind = partitionsBehind(this.targets, (p) => this.index.appliedOffset(p)).map(
        ({ partition, applied, target }) => `partition ${partition} at ${applied} of ${target}`,
      );
      return [`state topic: catching up (${behind.join(', ')})`];
    }
    if (!this.consuming) return ['state topic: reader not consuming (joining or restarting)'];
    return [];
  }

  /** Each partition's records not yet applied now: log end - 1 - applied offset. */
  async lag(): Promise<Map<number, number>> {
    const bounds = await this.reader.bounds();
    return new Map(
      [...bounds].map(([partition, { low, high }]) => [
        partition,
        high === low ? 0 : Math.max(0, high - 1 - this.index.appliedOffset(partition)),
      ]),
    );
  }

  private async begin(): Promise<void> {
    while (!this.stopped && !this.targets) {
      try {
        this.targets = await this.reader.bounds();
      } catch (error) {
        this.waitingFor = `cannot read its log ends (${String(error)}); retrying`;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
    if (this.stopped) return;
    this.checkCaughtUp();
    for (;;) {
      try {
        await this.reader.start();
        return;
      } catch (error) {
        if (this.stopped) return;
        this.logger.error({ msg: 'cannot start reading the state topic; retrying', error: String(error) });
        await this.reader.stop();
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private apply(batch: ConsumedBatch): void {
    for (const record of batch.records) {
      try {
        const decoded = decodeState(record.value, record.key);
        this.index.apply(batch.partition, record.offset, {
          id: decoded.id,
          state: decoded.kind === 'state' ? decoded.state : null,
        });
      } catch (error) {
        if (!(error instanceof UnreadableStateError)) throw error;
        // Never the value: it holds a hash. The position says where to look.
        this.logger.warn({
          msg: 'unreadable state record; its key is dropped until a readable one follows',
          partition: batch.partition,
          offset: record.offset,
          reason: error.message,
        });
        this.metrics.unreadable.inc();
        if (record.key !== null && KEY_ID.test(record.key))
          this.index.apply(batch.partition, record.offset, { id: Number(record.key), state: null });
        else this.index.skip(batch.partition, record.offset);
      }
    }
    this.waiters.applied(batch.partition);
    if (!this.caughtUp) this.checkCaughtUp();
  }

  private checkCaughtUp(): void {
    if (!this.targets || partitionsBehind(this.targets, (p) => this.index.appliedOffset(p)).length > 0) return;
    // Reading the topic left the heap full of decoded records and fetch buffers nobody holds; V8
    // would let it shrink only slowly, and this is the RSS the instance keeps (tens of ms at
    // 100,000 keys, before the instance says ready: no request waits for it).
    collectGarbage();
    this.caughtUp = true;
    this.logger.log({
      msg: 'caught up with the state topic',
      keys: this.index.size,
      ms: Date.now() - this.began,
      instance: this.instanceId,
    });
  }
}
