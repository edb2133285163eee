import { Controller, Get, Inject, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { LogEnds, createKafka } from '@app/kafka';
import { APP_CONFIG, AppConfig } from '../config/config';
import { NotReadyError } from '../errors';
import { EventLog } from '../event-log/event-log';
import { success } from '../http/envelope';
import { ApiRoute } from '../http/openapi';
import { kafkaLogOf } from '../logging';
import { Projector } from '../projector/projector';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { PartitionProgress, ProjectionStallJudge, StalledPartition } from './projection-stall';

const PING_TIMEOUT_MS = 1500;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const reasonOf = (reason: unknown) => (reason instanceof Error ? reason.message : String(reason));

const describeStall = (s: StalledPartition) =>
  `projection: partition ${s.partition} has records up to offset ${s.end - 1} waiting past offset ${s.applied} ` +
  `and has not moved for ${(s.forMs / 1000).toFixed(1)} s (no instance is projecting it)`;

/**
 * Readiness (`/health`, also `/health/ready`): 200 when Kafka and MongoDB answer, this instance's
 * projector is consuming (not joining, rebalancing or restarting), every partition of the events
 * topic is being projected (none has records waiting past a checkpoint that stood still for
 * HEALTH_PROJECTION_STALL_MS), and the service is not shutting down; otherwise 503 naming each
 * problem. Liveness (`/health/live`): 200 whenever the process answers.
 */
@Controller('health')
export class HealthController implements OnApplicationShutdown {
  private readonly logEnds: LogEnds;
  private readonly stalls: ProjectionStallJudge;
  private shuttingDown = false;

  constructor(
    private readonly log: EventLog,
    @InjectConnection() private readonly mongo: Connection,
    private readonly projector: Projector,
    private readonly readModel: ApiKeysReadModel,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // A client of its own, so a health check never waits behind the producer's or projector's requests.
    const kafka = createKafka(
      { brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-health`, requestTimeoutMs: PING_TIMEOUT_MS },
      kafkaLogOf(new Logger('kafka')),
    );
    this.logEnds = new LogEnds(kafka, config.kafka.eventsTopic);
    this.stalls = new ProjectionStallJudge(config.healthProjectionStallMs);
  }

  /** From now on readiness says 503 (the load balancer should stop sending); liveness stays 200. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  @Get('live')
  live() {
    return success(200, 'alive', { shutting_down: this.shuttingDown });
  }

  @Get(['', 'ready'])
  @ApiRoute({
    summary: 'Readiness',
    description:
      'Whether this instance can serve: Kafka and MongoDB answer, its projector is consuming, and no partition ' +
      'stalls. 503 naming what is not, also while the projector joins or rebalances its consumer group, and ' +
      'from the start of a shutdown.',
    ok: { status: 200, description: 'Ready.', data: { type: 'object' } },
    errors: [503],
  })
  async ready() {
    const [kafka, mongodb, projection] = await Promise.allSettled([
      withTimeout(this.log.ping(), 'Kafka'),
      withTimeout(this.mongo.db ? this.mongo.db.admin().ping() : Promise.reject(new Error('not connected')), 'MongoDB'),
      withTimeout(this.projectionProgress(), 'the projection progress check'),
    ]);
    const problems: string[] = [];
    if (this.shuttingDown) problems.push('service: shutting down');
    if (kafka.status === 'rejected') problems.push(`kafka: ${reasonOf(kafka.reason)}`);
    if (mongodb.status === 'rejected') problems.push(`mongodb: ${reasonOf(mongodb.reason)}`);
    if (!this.projector.ready)
      problems.push(
        'projector: not consuming (joining or rebalancing its consumer group, or restarting after a crash)',
      );
    if (projection.status === 'rejected') problems.push(`projection: progress unknown: ${reasonOf(projection.reason)}`);
    else problems.push(...this.stalls.judge(projection.value).map(describeStall));
    if (problems.length > 0) throw new NotReadyError(problems);
    return success(200, 'ok', { kafka: 'up', mongodb: 'up', projector: 'up' });
  }

  onApplicationShutdown(): Promise<void> {
    return this.logEnds.close();
  }

  /** Each partition's log end and checkpoint (the one every instance's projector writes). */
  private async projectionProgress(): Promise<PartitionProgress[]> {
    const ends = await this.logEnds.fetch();
    return Promise.all(
      [...ends].map(async ([partition, end]) => ({
        partition,
        end,
        applied: await this.readModel.appliedOffset(this.log.topic, partition),
      })),
    );
  }
}
