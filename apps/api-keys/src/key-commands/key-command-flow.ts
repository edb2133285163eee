import { Inject, Injectable } from '@nestjs/common';
import {
  ApiKeyEvent,
  ApiKeyState,
  CommandConditions,
  Decision,
  EventMetadata,
  evolve,
  isLiveKeyOf,
  isRejection,
} from '@app/domain';
import { LogPosition } from '@app/kafka';
import { ApiKeyView, toView } from '../api-key-resource/api-key.view';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiKeyNotFoundError, IdempotencyKeyReusedError, PreconditionFailedError, rejectionError } from '../errors';
import { eventMetadata } from '../event-log/event-metadata';
import { EventRecorder, assertWithinBounds } from '../event-log/event-recorder';
import { EntityTags, expectedVersion } from '../http/etags';
import { Principal, RequestBounds } from '../http/request-context';
import { ProjectedKey } from '../read-model/api-key.document';
import { ApiKeyStates } from '../read-model/api-key-states';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { IdempotencyRecordDocument, idempotencyId } from '../read-model/schemas';
import { KeyLock } from './key-lock';
import { RequestConditions } from './request-conditions';

export type KeyCommandResult =
  | { readonly kind: 'done'; readonly key: ApiKeyView; readonly version: number }
  /** The event is durable in the log but not yet in the read model: say so, never show stale data. */
  | { readonly kind: 'accepted'; readonly keyId: number; readonly eventId: string }
  /** What the command would do: the key it would leave and the event it would append (nothing was). */
  | { readonly kind: 'dry_run'; readonly key: ApiKeyView; readonly version: number; readonly event: ApiKeyEvent };

/** An Idempotency-Key and the fingerprint of the request it came with. */
export interface IdempotencyRequest {
  readonly key: string;
  readonly fingerprint: string;
}

export interface KeyCommand<E extends ApiKeyEvent> {
  readonly keyId: number;
  readonly userId: number;
  readonly correlationId: string;
  readonly bounds: RequestBounds;
  /** If-Match: the versions the client expects; the flow turns them into the event's expected version. */
  readonly ifMatch?: EntityTags;
  readonly idempotency?: IdempotencyRequest;
  readonly dryRun?: boolean;
  /** The domain's decision on the key's current state, with the conditions the request set. */
  decide(state: ApiKeyState | null, meta: EventMetadata, conditions: CommandConditions): Decision<E>;
  /**
   * Whether the log applied this command's unconditional event, judged from the key once the
   * projection has passed it: another instance's command may have got in first and made it a
   * no-op. (A conditional event's fate is read from the key's history.)
   */
  applied(after: ProjectedKey | null, position: LogPosition): boolean;
}

/** What every command on one key carries: which key, who asks, the request's bounds and conditions. */
export interface KeyRequest {
  readonly keyId: number;
  readonly caller: Principal;
  readonly correlationId: string;
  readonly bounds: RequestBounds;
  readonly conditions: RequestConditions;
}

/** A command's request as the flow takes it; the handler adds the decision. */
export const keyCommandOf = ({ keyId, caller, correlationId, bounds, conditions }: KeyRequest) => ({
  keyId,
  userId: caller.userId,
  correlationId,
  bounds,
  ...conditions,
});

/**
 * The one way a command on an existing key runs: one at a time per key in this process (a bounded
 * queue); a retry with a used Idempotency-Key answered as its first attempt was, appending nothing;
 * decide on the current state; record the event (append, then wait for the projection); answer
 * with what the log decided: the key as it left it, 404 or 412 when it decided against the
 * command, 202 when the projection did not catch up in time.
 */
@Injectable()
export class KeyCommandFlow {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly readModel: ApiKeysReadModel,
    private readonly recorder: EventRecorder,
    private readonly lock: KeyLock,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'idempotencyWindowMs'>,
  ) {}

  run<E extends ApiKeyEvent>(command: KeyCommand<E>): Promise<KeyCommandResult> {
    return this.lock.run(command.keyId, () => this.runLocked(command));
  }

  private async runLocked<E extends ApiKeyEvent>(command: KeyCommand<E>): Promise<KeyCommandResult> {
    // Its turn may come after its client left or its deadline passed: then it records nothing.
    assertWithinBounds(command.bounds);
    const { idempotency } = command;
    if (idempotency && !command.dryRun) {
      const earlier = await this.readModel.idempotencyRecord(idempotencyId(command.userId, idempotency.key));
      if (earlier && earlier.expires_at > new Date().toISOString()) {
        if (earlier.request_fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError();
        return answerOf(earlier);
      }
    }
    const expiresAt = new Date(Date.now() + this.config.idempotencyWindowMs).toISOString();
    // Decided before anything reaches the log: a rejected command leaves no event.
    const state = await this.states.find(command.keyId);
    const conditions = {
      ...(idempotency && !command.dryRun && { idempotency: { ...idempotency, expiresAt } }),
      expectedVersion: expectedVersion(command.ifMatch, state?.version),
    };
    const decision = command.decide(state, eventMetadata(command.correlationId), conditions);
    if (isRejection(decision)) throw rejectionError(decision.rejection);
    const { event } = decision;
    if (command.dryRun) {
      const next = evolve(state, event)!;
      return { kind: 'dry_run', key: toView(next), version: next.version, event };
    }
    const { position, visible } = await this.recorder.record(event, command.bounds);
    if (!visible) return { kind: 'accepted', keyId: command.keyId, eventId: event.event_id };
    const after = await this.states.find(command.keyId);
    if (event.idempotency_key !== undefined) {
      const record = await this.readModel.idempotencyRecord(idempotencyId(command.userId, event.idempotency_key));
      // Ours, or an earlier attempt's that got into the log first: either way, what the log decided.
      if (record && record.event_id !== event.event_id) return answerOf(record);
    }
    if (!(await this.applied(command, event, after, position))) {
      if (!isLiveKeyOf(after, command.userId)) throw new ApiKeyNotFoundError();
      throw new PreconditionFailedError(after.version);
    }
    if (!after) throw new ApiKeyNotFoundError();
    return { kind: 'done', key: toView(after), version: after.version };
  }

  private async applied<E extends ApiKeyEvent>(
    command: KeyCommand<E>,
    event: E,
    after: ProjectedKey | null,
    position: LogPosition,
  ): Promise<boolean> {
    if (event.expected_version === undefined) return command.applied(after, position);
    // It applied only as the version after the one it expected: the history says whose event that is.
    const [entry] = await this.readModel.eventsOf(command.keyId, [event.expected_version + 1]);
    return entry?.event_id === event.event_id;
  }
}

/** A retry's answer: what the log decided for the first request with its Idempotency-Key. */
function answerOf(record: IdempotencyRecordDocument): KeyCommandResult {
  const { key } = record;
  if (record.outcome === 'applied' && key) return { kind: 'done', key: toView(key), version: key.version };
  if (record.outcome === 'version_mismatch' && key) throw new PreconditionFailedError(key.version);
  throw new ApiKeyNotFoundError();
}
