import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { decideCreate, evolve, isRejection } from '@app/domain';
import { ApiKeyView, toView } from '../api-key-resource/api-key.view';
import { newSecret } from '../auth/api-key-secret';
import { APP_CONFIG, AppConfig } from '../config/config';
import { rejectionError } from '../errors';
import { eventMetadata } from '../event-log/event-metadata';
import { EventRecorder, assertWithinBounds } from '../event-log/event-recorder';
import { KeyLock } from '../key-commands/key-lock';
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
  /** One create per user at a time here, so that each sees the keys the one before it made. */
  private readonly perUser: KeyLock;

  constructor(
    @Inject(API_KEY_ID_ALLOCATOR) private readonly ids: IdAllocator,
    private readonly states: ApiKeyStates,
    private readonly recorder: EventRecorder,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'maxKeysPerUser' | 'keyQueueLimit'>,
  ) {
    this.perUser = new KeyLock(config.keyQueueLimit);
  }

  execute(command: CreateApiKeyCommand): Promise<CreateApiKeyResult> {
    return this.perUser.run(command.owner.userId, () => this.create(command));
  }

  private async create({ owner, fields, correlationId, bounds }: CreateApiKeyCommand): Promise<CreateApiKeyResult> {
    assertWithinBounds(bounds);
    const liveKeys = (await this.states.liveKeyIdsOf(owner.userId)).length;
    // Ids need not be dense: one spent on a refused create is simply never used.
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
        liveKeys,
        maxKeys: this.config.maxKeysPerUser,
      },
      eventMetadata(correlationId),
    );
    if (isRejection(decision)) throw rejectionError(decision.rejection);
    const { visible } = await this.recorder.record(decision.event, bounds);
    const stored = visible ? await this.states.findOwned(keyId, owner.userId) : null;
    // Not visible yet: the projector will store exactly what folding the event gives, so show that.
    const state = stored ?? evolve(null, decision.event);
    if (!state) throw new Error(`folding ApiKeyCreated ${decision.event.event_id} produced no key`);
    return { key: toView(state, secret.value), visible: stored !== null };
  }
}
