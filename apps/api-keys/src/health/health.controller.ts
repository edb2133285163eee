import { Controller, Get } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { NotReadyError } from '../errors';
import { EventLog } from '../event-log/event-log';
import { success } from '../http/envelope';
import { Projector } from '../projector/projector';

const PING_TIMEOUT_MS = 1500;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const reasonOf = (reason: unknown) => (reason instanceof Error ? reason.message : String(reason));

/** 200 when Kafka, MongoDB and the projector are all ready; 503 naming each one that is not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly log: EventLog,
    @InjectConnection() private readonly mongo: Connection,
    private readonly projector: Projector,
  ) {}

  @Get()
  async check() {
    const [kafka, mongodb] = await Promise.allSettled([
      withTimeout(this.log.ping(), 'Kafka'),
      withTimeout(this.mongo.db ? this.mongo.db.admin().ping() : Promise.reject(new Error('not connected')), 'MongoDB'),
    ]);
    const problems: string[] = [];
    if (kafka.status === 'rejected') problems.push(`kafka: ${reasonOf(kafka.reason)}`);
    if (mongodb.status === 'rejected') problems.push(`mongodb: ${reasonOf(mongodb.reason)}`);
    if (!this.projector.ready) problems.push('projector: not yet assigned its partitions');
    if (problems.length > 0) throw new NotReadyError(problems);
    return success(200, 'ok', { kafka: 'up', mongodb: 'up', projector: 'up' });
  }
}
