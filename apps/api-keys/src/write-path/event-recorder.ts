import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyEvent } from '@app/domain';
import { LogPosition } from '@app/kafka';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ClientGoneError, DeadlineExceededError, ReadModelUnavailableError } from '../errors';
import { RequestBounds } from '../http/request-context';
import { Metrics } from '../metrics/metrics';
import { ReadModelHealth } from '../read-model/read-model-health';
import { ProjectionProgress } from '../projector/projection-progress';
import { EventLog } from '../event-log/event-log';

export interface Recorded {
  readonly position: LogPosition;
  /** False when the projection did not reach the event within the read-your-writes bound. */
  readonly visible: boolean;
  /** When visible: the write's receipt, `<partition>:<offset>` of the state topic (see receiptAt). */
  readonly receipt: string | null;
}

/**
 * The write path every use case shares: append the event (durable once this resolves), then wait,
 * bounded, until the read model includes it, so the answer can show the caller's own write. The
 * request's deadline bounds both; a client that has gone away gets nothing appended.
 */
@Injectable()
export class EventRecorder {
  constructor(
    private readonly log: EventLog,
    private readonly progress: ProjectionProgress,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly readModelHealth: ReadModelHealth,
    private readonly metrics: Metrics,
  ) {}

  async record(event: ApiKeyEvent, bounds: RequestBounds): Promise<Recorded> {
    assertWithinBounds(bounds);
    // Checks may have been answered from memory; if the read model is known to be down, say so
    // now (503, nothing recorded) rather than record an event nobody can see for a while.
    if (!this.readModelHealth.up) throw new ReadModelUnavailableError();
    const position = await this.log.append(event, bounds.deadline - Date.now());
    this.metrics.eventsAppended.inc({ type: event.event_type });
    const wait = Math.min(this.config.readYourWritesTimeoutMs, bounds.deadline - Date.now());
    const waited = this.metrics.projectionWait.startTimer();
    const visible = await this.progress.waitFor(position, Math.max(0, wait));
    waited({ outcome: visible ? 'visible' : 'timeout' });
    if (!visible) this.metrics.accepted.inc();
    return { position, visible, receipt: visible ? this.receiptAt(event.api_key_id, position.offset) : null };
  }

  /**
   * The receipt of a key's applied event at `eventsOffset` (its partition's): a state-topic
   * position at or after the state record the event's batch published for the key (for a delete,
   * its tombstone), from the partition's checkpoint marks (projector/state-marks.ts): a verifier
   * that has applied it has applied the key's state. Null when not known: the projection has not
   * passed the event here, or no mark covers it (a read model rebuilt, or states not published).
   */
  receiptAt(keyId: number, eventsOffset: number): string | null {
    const partition = this.log.statePartitionOf(keyId);
    const position = { topic: this.log.topic, partition: this.log.partitionOf(keyId), offset: eventsOffset };
    const offset = this.progress.stateOffsetAt(position, partition);
    return offset === null ? null : `${partition}:${offset}`;
  }

  /**
   * The receipt of an event applied earlier (an Idempotency-Key retry answered from its first
   * attempt's record): the same one that attempt answered with, once the projection has passed it
   * here (bounded as a write's wait; null past it, or for a record that does not know its event's offset).
   */
  async receiptOfEarlier(
    keyId: number,
    eventsOffset: number | undefined,
    bounds: RequestBounds,
  ): Promise<string | null> {
    if (eventsOffset === undefined) return null;
    const position = { topic: this.log.topic, partition: this.log.partitionOf(keyId), offset: eventsOffset };
    const wait = Math.min(this.config.readYourWritesTimeoutMs, bounds.deadline - Date.now());
    if (!(await this.progress.waitFor(position, Math.max(0, wait)))) return null;
    return this.receiptAt(keyId, eventsOffset);
  }
}

/** Throws when nothing more should be started for this request: its client left, or its time is up. */
export function assertWithinBounds(bounds: RequestBounds): void {
  if (bounds.signal.aborted) throw new ClientGoneError();
  if (Date.now() >= bounds.deadline) throw new DeadlineExceededError();
}
