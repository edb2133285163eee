import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { API_KEY_CREATED, ApiKeyCreated } from '@app/contracts';
import { ApiKeyView, toView } from '../api-key-fields/api-key.view';
import { newSecret } from '../auth/api-key-secret';
import { EventRecorder } from '../event-log/event-recorder';
import { newEvent } from '../event-log/new-event';
import { fold } from '../projector/fold';
import { ApiKeyStates } from '../read-model/api-key-states';
import { IdAllocator } from '../read-model/id-allocator';
import { CreateApiKeyCommand } from './create-api-key.command';

export const API_KEY_ID_ALLOCATOR = Symbol('API_KEY_ID_ALLOCATOR');

export interface CreateApiKeyResult {
  /** Carries the raw key_value: the only time it is ever shown. */
  readonly key: ApiKeyView;
  /** False when the projection had not caught up in time: the key is in the log but not yet usable. */
  readonly visible: boolean;
}

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand, CreateApiKeyResult> {
  constructor(
    @Inject(API_KEY_ID_ALLOCATOR) private readonly ids: IdAllocator,
    private readonly states: ApiKeyStates,
    private readonly recorder: EventRecorder,
  ) {}

  async execute({ owner, fields, correlationId }: CreateApiKeyCommand): Promise<CreateApiKeyResult> {
    const id = await this.ids.allocate();
    const secret = newSecret(fields.key_type);
    const event = newEvent<ApiKeyCreated>({
      event_type: API_KEY_CREATED,
      api_key_id: id,
      user_id: owner.userId,
      correlation_id: correlationId,
      data: {
        key_type: fields.key_type,
        name: fields.name,
        key_hash: secret.hash,
        allowed_origins: fields.allowed_origins,
        allowed_assistants: fields.allowed_assistants,
        transient_assistant: fields.transient_assistant,
        user_email: owner.userEmail,
      },
    });
    const { position, visible } = await this.recorder.record(event);
    const stored = visible ? await this.states.findOwned(id, owner.userId) : null;
    // Not visible yet: the projector will store exactly what folding the event gives, so show that.
    const state = stored ?? fold(null, event, position);
    if (!state) throw new Error(`folding ApiKeyCreated ${event.event_id} produced no key`);
    return { key: toView(state, secret.value), visible: stored !== null };
  }
}
