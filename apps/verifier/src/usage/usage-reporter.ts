import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { MatchedSecret, UsageCode, WireRecord } from '@app/contracts';
import { BatchingProducer, Kafka, createKafka, existingPartitionCounts, partitionFor } from '@app/kafka';
import { UsagePublisher } from '@app/usage';
import { VERIFIER_CONFIG, VerifierConfig } from '../config/config';
import { kafkaLogOf } from '../logging';
import { IdleCollector } from '../memory/idle-collector';
import { Metrics } from '../metrics/metrics';
import { StateReader } from '../state-reader/state-reader';

/** Bound on one publication of usage records (a flush that misses it is sent again at the next). */
const PUBLISH_TIMEOUT_MS = 5000;

/**
 * The verifications this instance answered, per key, code and matched secret: counted in memory
 * on the verify route and published to the usage topic every USAGE_FLUSH_MS and at shutdown, off
 * the request path (libs/usage). The API creates the topic; until it exists the counts wait in
 * memory. A NOT_FOUND names no key and is not counted here: it is in this instance's
 * `verifications_total{code="NOT_FOUND"}` metric only.
 */
@Injectable()
export class UsageReporter implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly kafka: Kafka;
  private readonly producer: BatchingProducer;
  /** The usage topic's partition count, once the broker has told it. */
  private readonly partitions = new Map<string, number>();
  private readonly publisher: UsagePublisher;
  private connected: Promise<void> | null = null;
  private readonly logger = new Logger('usage');

  constructor(
    @Inject(VERIFIER_CONFIG) private readonly config: VerifierConfig,
    reader: StateReader,
    private readonly metrics: Metrics,
    private readonly idle: IdleCollector,
  ) {
    this.kafka = createKafka(
      { brokers: config.kafka.brokers, clientId: config.kafka.clientId, requestTimeoutMs: 3000 },
      kafkaLogOf(new Logger('kafka')),
    );
    this.producer = new BatchingProducer(this.kafka, this.partitions, PUBLISH_TIMEOUT_MS);
    this.publisher = new UsagePublisher({
      source: 'verifier',
      instance: reader.instanceId,
      flushMs: config.usageFlushMs,
      schemaBase: config.schemaBaseUrl,
      partitionOf: () => this.partitionOf(),
      send: (records) => this.send(records),
      log: { warn: (msg, context) => this.logger.warn({ msg, ...context }) },
    });
  }

  /** One use of a key (the verify route's hot path: memory only). */
  count(keyId: number, code: UsageCode, matched: MatchedSecret, at: number): void {
    this.publisher.count(keyId, code, matched, at);
  }

  onApplicationBootstrap(): void {
    this.publisher.start();
  }

  /** What was counted since the last flush goes out before the producer closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.publisher.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connected) await this.producer.disconnect().catch(() => undefined);
  }

  /** How key ids map to the usage topic's partitions, once the broker has told how many it has. */
  private async partitionOf(): Promise<(keyId: number) => number> {
    const topic = this.config.kafka.usageTopic;
    let count = this.partitions.get(topic);
    if (count === undefined) {
      count = (await existingPartitionCounts(this.kafka, [topic]).catch(() => undefined))?.get(topic);
      if (count === undefined) {
        this.metrics.usageFailures.inc();
        throw new Error(`topic ${topic} is not known (yet)`);
      }
      this.partitions.set(topic, count);
    }
    const partitions = count;
    return (keyId) => partitionFor(topic, String(keyId), partitions);
  }

  private async send(records: readonly WireRecord[]): Promise<void> {
    const topic = this.config.kafka.usageTopic;
    try {
      this.connected ??= this.producer.connect().catch((error: unknown) => {
        this.connected = null;
        throw error;
      });
      await this.connected;
      // A flush leaves garbage too (its records, the tally it let go of): the idle collector waits for it.
      this.idle.activity();
      await Promise.all(records.map((record) => this.producer.append(topic, record)));
      this.metrics.usageRecords.inc(records.length);
    } catch (error) {
      this.metrics.usageFailures.inc();
      throw error;
    }
  }
}
