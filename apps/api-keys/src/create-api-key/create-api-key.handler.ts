import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { decideCreate, evolve, isRejection } from '@app/domain';
import { ApiKeyView, toView } from '../api-key-resource/api-key.view';
import { newSecret } from '../auth/api-key-secret';
import { APP_CONFIG, AppConfig } from '../config/config';
import { IdempotencyKeyReusedError, rejectionError } from '../errors';
import { IdempotencyRequest } from '../key-commands/key-command-flow';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { IdempotencyRecordDocument, idempotencyId } from '../read-model/schemas';
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
  /** A retry of a create the log already has: the key as it made it, its secret not shown again. */
  readonly repeated?: boolean;
}

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand, CreateApiKeyResult> {
  /** One create per user at a time here, so that each sees the keys the one before it made. */
  private readonly perUser: KeyLock;

  constructor(
    @Inject(API_KEY_ID_ALLOCATOR) private readonly ids: IdAllocator,
    private readonly states: ApiKeyStates,
    private readonly recorder: EventRecorder,
    private readonly readModel: ApiKeysReadModel,
    @Inject(APP_CONFIG)
    private readonly config: Pick<AppConfig, 'maxKeysPerUser' | 'keyQueueLimit' | 'idempotencyWindowMs'>,
  ) {
    this.perUser = new KeyLock(config.keyQueueLimit);
  }

  execute(command: CreateApiKeyCommand): Promise<CreateApiKeyResult> {
    return this.perUser.run(command.owner.userId, () => this.create(command));
  }

  private async create(command: CreateApiKeyCommand): Promise<CreateApiKeyResult> {
    const { owner, fields, correlationId, bounds, idempotency } = command;
    assertWithinBounds(bounds);
    const recordId = idempotency && idempotencyId(owner.userId, idempotency.key);
    if (recordId) {
      const earlier = await this.readModel.idempotencyRecord(recordId);
      if (earlier && earlier.expires_at > new Date().toISOString()) return this.repeat(earlier, idempotency);
    }
    const liveKeys = (await this.states.liveKeyIdsOf(owner.userId)).length;
    // Ids need not be dense: one spent on a refused create is simply never used.
    let keyId = await this.ids.allocate();
    let conditions = {};
    if (recordId) {
      // Every attempt with this Idempotency-Key names the same key, so the log can tell a retry.
      const expiresAt = new Date(Date.now() + this.config.idempotencyWindowMs).toISOString();
      const claim = await this.readModel.claimIdempotency({
        _id: recordId,
        key_id: keyId,
        request_fingerprint: idempotency.fingerprint,
        expires_at: expiresAt,
      });
      if (claim.request_fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError();
      keyId = claim.key_id;
      conditions = { idempotency: { ...idempotency, expiresAt: claim.expires_at } };
    }
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
        conditions,
      },
      eventMetadata(correlationId),
    );
    if (isRejection(decision)) throw rejectionError(decision.rejection);
    const { visible } = await this.recorder.record(decision.event, bounds);
    if (visible && recordId) {
      // An earlier attempt with this key may have got into the log first: then its key stands.
      const record = await this.readModel.idempotencyRecord(recordId);
      if (record && record.event_id !== decision.event.event_id) return this.repeat(record, idempotency);
    }
    const stored = visible ? await this.states.findOwned(keyId, owner.userId) : null;
    // Not visible yet: the projector will store exactly what folding the event gives, so show that.
    const state = stored ?? evolve(null, decision.event);
    if (!state) throw new Error(`folding ApiKeyCreated ${decision.event.event_id} produced no key`);
    return { key: toView(state, secret.value), visible: stored !== null };
  }

  private repeat(record: IdempotencyRecordDocument, idempotency: IdempotencyRequest): CreateApiKeyResult {
    if (record.request_fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError();
    if (record.outcome !== 'applied' || !record.key) throw new Error(`create ${record.event_id} was not applied`);
    return { key: toView(record.key), visible: true, repeated: true };
  }
}
