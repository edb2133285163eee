import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { decideCreate, evolve, isRejection } from '@app/domain';
import { ApiKeyView, toView } from '../api-key-resource/api-key.view';
import { newSecret } from '../auth/api-key-secret';
import { rejectionError } from '../errors';
import { eventMetadata } from '../event-log/event-metadata';
import { EventRecorder } from '../event-log/event-recorder';
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
    const keyId = await this.ids.allocate();
    const secret = newSecret(fields.key_type);
    const decision = decideCreate(
      {
        keyId,
        owner: { userId: owner.userId, email: owner.email },
        keyType: fields.key_type,
        keyHash: secret.hash,
        transientAssistant: fields.transient_assistant ?? false,
        fields,
      },
      eventMetadata(correlationId),
    );
    if (isRejection(decision)) throw rejectionError(decision.rejection);
    const { visible } = await this.recorder.record(decision.event);
    const stored = visible ? await this.states.findOwned(keyId, owner.userId) : null;
    // Not visible yet: the projector will store exactly what folding the event gives, so show that.
    const state = stored ?? evolve(null, decision.event);
    if (!state) throw new Error(`folding ApiKeyCreated ${decision.event.event_id} produced no key`);
    return { key: toView(state, secret.value), visible: stored !== null };
  }
}
