import { Controller, Get, Header } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { Connection } from 'mongoose';
import { EventLog } from '../event-log/event-log';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { Metrics } from '../metrics/metrics';

const CHECK_TIMEOUT_MS = 1500;

const within = <T>(work: Promise<T>): Promise<T> =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no answer in time')), CHECK_TIMEOUT_MS).unref(),
    ),
  ]);

/** GET /metrics: Prometheus text, with the dependency gauges measured at the scrape. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly log: EventLog,
    private readonly readModel: ApiKeysReadModel,
    @InjectConnection() private readonly mongo: Connection,
  ) {}

  @Get()
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const [ends, mongodb] = await Promise.allSettled([
      within(this.log.endOffsets()),
      within(this.mongo.db ? this.mongo.db.admin().ping() : Promise.reject(new Error('not connected'))),
    ]);
    this.metrics.dependencyUp.set({ dependency: 'kafka' }, ends.status === 'fulfilled' ? 1 : 0);
    this.metrics.dependencyUp.set({ dependency: 'mongodb' }, mongodb.status === 'fulfilled' ? 1 : 0);
    if (ends.status === 'fulfilled' && mongodb.status === 'fulfilled') {
      for (const [partition, end] of ends.value) {
        const applied = await this.readModel.appliedOffset(this.log.topic, partition);
        this.metrics.projectionLag.set({ partition: String(partition) }, Math.max(0, end - 1 - applied));
      }
    }
    return this.metrics.registry.metrics();
  }
}
