import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { encodeHeartbeat } from '@app/contracts';
import { BatchingProducer, Kafka, createKafka, existingPartitionCounts } from '@app/kafka';
import { VERIFIER_CONFIG, VerifierConfig } from '../config/config';
import { KeyIndex } from '../key-index/key-index';
import { kafkaLogOf } from '../logging';
import { StateReader } from '../state-reader/state-reader';

/** How often each verifier says where it is. */
export const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * Publishes, every HEARTBEAT_INTERVAL_MS, this instance's id and its applied offset per state
 * partition to the verifiers topic, so the API can tell a key's owner which verifiers have applied
 * the key's latest state (GET /api/v1/api_keys/:id/propagation). The topic is the service's (it
 * creates it); until it exists this waits and tries again. A heartbeat that fails is not retried:
 * the next one, a second later, says more. Stopping just stops: no farewell record, so a verifier
 * that dies and one that stops look alike, and both keep counting until the API's timeout.
 */
@Injectable()
export class Heartbeats implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('heartbeat');
  private readonly kafka: Kafka;
  private producer: BatchingProducer | null = null;
  private connecting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failing = false;

  constructor(
    @Inject(VERIFIER_CONFIG) private readonly config: VerifierConfig,
    private readonly reader: StateReader,
    private readonly index: KeyIndex,
  ) {
    this.kafka = createKafka(
      { brokers: config.kafka.brokers, clientId: config.kafka.clientId, requestTimeoutMs: HEARTBEAT_INTERVAL_MS },
      kafkaLogOf(new Logger('kafka')),
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    void this.beat();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.connecting?.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
  }

  private async beat(): Promise<void> {
    try {
      const producer = await this.connected();
      if (!producer || !this.timer) return;
      await producer.append(
        this.config.kafka.verifiersTopic,
        encodeHeartbeat({
          instance: this.reader.instanceId,
          stateTopic: this.config.kafka.stateTopic,
          applied: this.index.appliedOffsets(),
          ready: this.reader.ready,
          sentAt: new Date().toISOString(),
        }),
      );
      if (this.failing) this.logger.log({ msg: 'heartbeats flow again' });
      this.failing = false;
    } catch (error) {
      // Once per outage: a broker away for a minute should not write sixty lines.
      if (!this.failing)
        this.logger.warn({ msg: 'cannot send a heartbeat; trying every second', error: String(error) });
      this.failing = true;
    }
  }

  /** The producer, once the verifiers topic exists (null until then; at most one attempt at a time). */
  private async connected(): Promise<BatchingProducer | null> {
    if (this.producer) return this.producer;
    if (this.connecting) return null;
    const topic = this.config.kafka.verifiersTopic;
    this.connecting = (async () => {
      const counts = await existingPartitionCounts(this.kafka, [topic]);
      if (!counts.has(topic)) throw new Error(`topic ${topic} does not exist (yet): the API creates it`);
      const producer = new BatchingProducer(this.kafka, counts, HEARTBEAT_INTERVAL_MS);
      await producer.connect();
      if (this.timer) this.producer = producer;
      else await producer.disconnect();
    })();
    try {
      await this.connecting;
    } finally {
      this.connecting = null;
    }
    return this.producer;
  }
}
