import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MatchedSecret, UsageCode } from '@app/contracts';
import { UsagePublisher } from '@app/usage';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EventLog } from '../event-log/event-log';
import { Metrics } from '../metrics/metrics';

/**
 * The API's own authentication counts as a use of the key (issue 19): counted in memory by the
 * auth guard, published to the usage topic every USAGE_FLUSH_MS and at shutdown (before the
 * producer closes), exactly as a verifier publishes its verifications (libs/usage).
 */
@Injectable()
export class UsageCounter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly publisher: UsagePublisher;
  private readonly logger = new Logger('usage');

  constructor(@Inject(APP_CONFIG) config: AppConfig, log: EventLog, metrics: Metrics) {
    this.publisher = new UsagePublisher({
      source: 'api',
      flushMs: config.usageFlushMs,
      schemaBase: config.schemaBaseUrl,
      partitionOf: () => Promise.resolve((keyId: number) => log.usagePartitionOf(keyId)),
      send: (records) =>
        log.appendUsage(records).catch((error: unknown) => {
          metrics.usagePublishFailures.inc();
          throw error;
        }),
      log: { warn: (msg, context) => this.logger.warn({ msg, ...context }) },
    });
  }

  /** One use of a key (memory only). */
  count(keyId: number, code: UsageCode, matched: MatchedSecret, at: number): void {
    this.publisher.count(keyId, code, matched, at);
  }

  onApplicationBootstrap(): void {
    this.publisher.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.publisher.stop();
  }
}
