import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { API_KEY_DELETED, ApiKeyDeleted } from '@app/contracts';
import { ApiKeyView, toView } from '../api-key-fields/api-key.view';
import { ApiKeyNotFoundError } from '../errors';
import { EventRecorder } from '../event-log/event-recorder';
import { KeyLock } from '../event-log/key-lock';
import { newEvent } from '../event-log/new-event';
import { ApiKeyStates } from '../read-model/api-key-states';
import { DeleteApiKeyCommand } from './delete-api-key.command';

export type DeleteApiKeyResult =
  | { readonly visible: true; readonly key: ApiKeyView }
  | { readonly visible: false; readonly keyId: number; readonly eventId: string };

@CommandHandler(DeleteApiKeyCommand)
export class DeleteApiKeyHandler implements ICommandHandler<DeleteApiKeyCommand, DeleteApiKeyResult> {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly recorder: EventRecorder,
    private readonly lock: KeyLock,
  ) {}

  execute(command: DeleteApiKeyCommand): Promise<DeleteApiKeyResult> {
    return this.lock.run(command.keyId, () => this.run(command));
  }

  private async run({ keyId, caller, correlationId }: DeleteApiKeyCommand): Promise<DeleteApiKeyResult> {
    if (!(await this.states.findOwned(keyId, caller.userId))) throw new ApiKeyNotFoundError();
    const event = newEvent<ApiKeyDeleted>({
      event_type: API_KEY_DELETED,
      api_key_id: keyId,
      user_id: caller.userId,
      correlation_id: correlationId,
      data: {},
    });
    const { position, visible } = await this.recorder.record(event);
    if (!visible) return { visible: false, keyId, eventId: event.event_id };
    // Two DELETEs can race past the check; the log decides: only the one whose event revoked
    // the key answers 200, the other finds the key already gone.
    const key = await this.states.find(keyId);
    if (!key || key.user_id !== caller.userId || key.applied.offset !== position.offset)
      throw new ApiKeyNotFoundError();
    return { visible: true, key: toView(key) };
  }
}
