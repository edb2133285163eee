import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Heartbeat, UnreadableHeartbeatError, decodeHeartbeat } from '@app/contracts';
import { ConsumedBatch, TopicReader } from '@app/kafka';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EventLog } from '../event-log/event-log';
import { kafkaLogOf } from '../logging';

/** Whether this process serves requests (the HTTP service does; the bootstrap command does not). */
export const HEARTBEATS_ENABLED = Symbol('HEARTBEATS_ENABLED');

const RETRY_MS = 1000;

/**
 * The verifiers this instance has heard from: each one's latest heartbeat, in memory only (no
 * MongoDB write; every instance reads the topic itself). The verifiers topic keeps only minutes
 * (SHORT_LIVED_TOPIC_CONFIG), so its whole content is "recent": the reader reads it from its
 * beginning with a group of its own that never commits, as a verifier reads the state topic, and
 * knows within a moment of starting every verifier heard within VERIFIER_HEARTBEAT_TIMEOUT_MS.
 * Heartbeats about another state topic (another deployment sharing the broker) are ignored.
 */
@Injectable()
export class VerifierHeartbeats implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('verifier-heartbeats');
  private readonly latest = new Map<string, Heartbeat>();
  private readonly reader: TopicReader;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(HEARTBEATS_ENABLED) private readonly enabled: boolean,
    log: EventLog,
  ) {
    this.reader = new TopicReader(log.client, {
      topic: config.kafka.verifiersTopic,
      groupId: `${config.kafka.clientId}-heartbeats-${randomUUID()}`,
      handleBatch: (batch) => this.apply(batch),
      onConsuming: () => undefined,
      log: kafkaLogOf(new Logger('kafka')),
    });
  }

  onApplicationBootstrap(): void {
    if (this.enabled) void this.begin();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.reader.stop();
  }

  /**
   * The verifiers whose latest heartbeat is at most VERIFIER_HEARTBEAT_TIMEOUT_MS old at `now` (by
   * the time each says it sent it), reading this state topic, by instance id.
   */
  heard(now = Date.now()): Heartbeat[] {
    const since = now - this.config.verifierHeartbeatTimeoutMs;
    const heard: Heartbeat[] = [];
    for (const [instance, beat] of this.latest) {
      if (Date.parse(beat.sentAt) >= since) heard.push(beat);
      // Bounded by the verifiers that ran lately: one gone quiet past the timeout is forgotten.
      else this.latest.delete(instance);
    }
    return heard.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  }

  private async begin(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.reader.start();
        // Shut down while it was starting: leave again.
        if (this.stopped) await this.reader.stop();
        return;
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ msg: 'cannot read the verifiers topic yet; retrying', error: String(error) });
        await this.reader.stop();
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private apply(batch: ConsumedBatch): void {
    for (const record of batch.records) {
      try {
        const beat = decodeHeartbeat(record.value);
        if (beat.stateTopic !== this.config.kafka.stateTopic) continue;
        const known = this.latest.get(beat.instance);
        if (!known || Date.parse(beat.sentAt) >= Date.parse(known.sentAt)) this.latest.set(beat.instance, beat);
      } catch (error) {
        if (!(error instanceof UnreadableHeartbeatError)) throw error;
        this.logger.debug({ msg: 'unreadable heartbeat ignored', offset: record.offset, reason: error.message });
      }
    }
  }
}
