import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { API_KEY_UPDATED, ApiKeyUpdated } from '@app/contracts';
import { ApiKeyView, toView } from '../api-key-fields/api-key.view';
import { ApiKeyNotFoundError } from '../errors';
import { EventRecorder } from '../event-log/event-recorder';
import { KeyLock } from '../event-log/key-lock';
import { newEvent } from '../event-log/new-event';
import { ApiKeyStates } from '../read-model/api-key-states';
import { UpdateApiKeyCommand } from './update-api-key.command';

export type UpdateApiKeyResult =
  | { readonly visible: true; readonly key: ApiKeyView }
  /** The event is durable in the log but not yet in the read model: say so, never show stale data. */
  | { readonly visible: false; readonly keyId: number; readonly eventId: string };

@CommandHandler(UpdateApiKeyCommand)
export class UpdateApiKeyHandler implements ICommandHandler<UpdateApiKeyCommand, UpdateApiKeyResult> {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly recorder: EventRecorder,
    private readonly lock: KeyLock,
  ) {}

  execute(command: UpdateApiKeyCommand): Promise<UpdateApiKeyResult> {
    return this.lock.run(command.keyId, () => this.run(command));
  }

  private async run({ keyId, caller, changes, correlationId }: UpdateApiKeyCommand): Promise<UpdateApiKeyResult> {
    // Checked before anything reaches the log: a rejected request leaves no event.
    if (!(await this.states.findOwned(keyId, caller.userId))) throw new ApiKeyNotFoundError();
    const event = newEvent<ApiKeyUpdated>({
      event_type: API_KEY_UPDATED,
      api_key_id: keyId,
      user_id: caller.userId,
      correlation_id: correlationId,
      data: { changes },
    });
    const { visible } = await this.recorder.record(event);
    if (!visible) return { visible: false, keyId, eventId: event.event_id };
    // The key's state now includes this event, unless a delete got into the log first, in which
    // case the projector ignored the update and the key is gone: 404 is the truthful answer.
    const key = await this.states.findOwned(keyId, caller.userId);
    if (!key) throw new ApiKeyNotFoundError();
    return { visible: true, key: toView(key) };
  }
}
