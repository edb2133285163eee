import { Injectable } from '@nestjs/common';
import { ApiKeyEvent, ApiKeyState, Decision, EventMetadata, isRejection } from '@app/domain';
import { LogPosition } from '@app/kafka';
import { ApiKeyView, toView } from '../api-key-resource/api-key.view';
import { ApiKeyNotFoundError, rejectionError } from '../errors';
import { eventMetadata } from '../event-log/event-metadata';
import { EventRecorder, assertWithinBounds } from '../event-log/event-recorder';
import { RequestBounds } from '../http/request-context';
import { ProjectedKey } from '../read-model/api-key.document';
import { ApiKeyStates } from '../read-model/api-key-states';
import { KeyLock } from './key-lock';

export type KeyCommandResult =
  | { readonly visible: true; readonly key: ApiKeyView; readonly version: number }
  /** The event is durable in the log but not yet in the read model: say so, never show stale data. */
  | { readonly visible: false; readonly keyId: number; readonly eventId: string };

export interface KeyCommand<E extends ApiKeyEvent> {
  readonly keyId: number;
  readonly correlationId: string;
  readonly bounds: RequestBounds;
  /** The domain's decision on the key's current state. */
  decide(state: ApiKeyState | null, meta: EventMetadata): Decision<E>;
  /**
   * Whether the log applied this command's event, judged from the key once the projection has
   * passed it: another instance's command may have got into the log first and made it a no-op.
   */
  applied(after: ProjectedKey | null, position: LogPosition): boolean;
}

/**
 * The one way a command on an existing key runs: one at a time per key in this process (a bounded
 * queue),
 * decide on the current state, record the event (append, then wait for the projection), and
 * answer with the key as the log left it; 404 when the log decided against the command, 202
 * when the projection did not catch up in time.
 */
@Injectable()
export class KeyCommandFlow {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly recorder: EventRecorder,
    private readonly lock: KeyLock,
  ) {}

  run<E extends ApiKeyEvent>(command: KeyCommand<E>): Promise<KeyCommandResult> {
    return this.lock.run(command.keyId, () => this.runLocked(command));
  }

  private async runLocked<E extends ApiKeyEvent>(command: KeyCommand<E>): Promise<KeyCommandResult> {
    // Its turn may come after its client left or its deadline passed: then it records nothing.
    assertWithinBounds(command.bounds);
    // Decided before anything reaches the log: a rejected command leaves no event.
    const decision = command.decide(await this.states.find(command.keyId), eventMetadata(command.correlationId));
    if (isRejection(decision)) throw rejectionError(decision.rejection);
    const { event } = decision;
    const { position, visible } = await this.recorder.record(event, command.bounds);
    if (!visible) return { visible: false, keyId: command.keyId, eventId: event.event_id };
    const after = await this.states.find(command.keyId);
    if (!after || !command.applied(after, position)) throw new ApiKeyNotFoundError();
    return { visible: true, key: toView(after), version: after.version };
  }
}
