import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyEvent } from '@app/contracts';
import { LogPosition } from '@app/kafka';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ReadModelUnavailableError } from '../errors';
import { ReadModelHealth } from '../read-model/read-model-health';
import { ProjectionProgress } from '../projector/projection-progress';
import { EventLog } from './event-log';

export interface Recorded {
  readonly position: LogPosition;
  /** False when the projection did not reach the event within the read-your-writes bound. */
  readonly visible: boolean;
}

/**
 * The write path every use case shares: append the event (durable once this resolves), then wait,
 * bounded, until the read model includes it, so the answer can show the caller's own write.
 */
@Injectable()
export class EventRecorder {
  constructor(
    private readonly log: EventLog,
    private readonly progress: ProjectionProgress,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly readModelHealth: ReadModelHealth,
  ) {}

  async record(event: ApiKeyEvent): Promise<Recorded> {
    // Checks may have been answered from memory; if the read model is known to be down, say so
    // now (503, nothing recorded) rather than record an event nobody can see for a while.
    if (!this.readModelHealth.up) throw new ReadModelUnavailableError();
    const position = await this.log.append(event);
    const visible = await this.progress.waitFor(position, this.config.readYourWritesTimeoutMs);
    return { position, visible };
  }
}
