import { Inject, Injectable } from '@nestjs/common';
import {
  ApiKeyEvent,
  ApiKeyState,
  Command,
  CommandConditions,
  CreateKey,
  DeleteKey,
  RollKey,
  UpdateKey,
  decide,
  evolve,
  isRejection,
} from '@app/domain';
import { ApiKeyView, newSecret, toView } from '@app/access';
import { AppliedPosition } from '@app/contracts';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiKeyNotFoundError, IdempotencyKeyReusedError, PreconditionFailedError, rejectionError } from '../errors';
import { expectedVersion } from '../http/etags';
import { heldAsApplied } from '../read-model/api-key.document';
import { ApiKeyStates } from '../read-model/api-key-states';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { IdAllocator } from '../read-model/id-allocator';
import { IdempotencyRecordDocument, idempotencyClaimId, idempotencyId } from '../read-model/schemas';
import { EventRecorder, assertWithinBounds } from './event-recorder';
import { eventMetadata } from './event-metadata';
import { KeyLock } from './key-lock';
import { IdempotencyRequest, WriteRequest } from './write-request';

export const API_KEY_ID_ALLOCATOR = Symbol('API_KEY_ID_ALLOCATOR');

/** Omit from each member of a union (TypeScript's Omit would merge the members first). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A command as a handler hands it over: the flow completes it with what the request says (its
 * conditions; who asks, the request's key as `actorKeyId`) and what the flow makes (a new key's id
 * and owner's key count; a new secret's hash for create and roll).
 */
export type PendingCommand =
  | Omit<CreateKey, 'keyId' | 'keyHash' | 'liveKeys' | 'maxKeys' | 'conditions' | 'actorKeyId'>
  | OmitEach<UpdateKey | DeleteKey, 'conditions' | 'actorKeyId'>
  | Omit<RollKey, 'keyHash' | 'conditions' | 'actorKeyId'>;

export type WriteResult =
  /**
   * The key as the log left it. A new key's view carries its secret (shown this once); `repeated`:
   * the answer of an earlier request with the same Idempotency-Key, which the log applied.
   */
  | {
      readonly kind: 'done';
      readonly key: ApiKeyView;
      readonly version: number;
      readonly repeated?: boolean;
      /** `<partition>:<offset>` of the state topic, at or after the key's record this write made (X-State-Position). */
      readonly receipt?: string | null;
    }
  /** The event is durable in the log but not yet in the read model: say so, never show stale data. */
  | {
      readonly kind: 'accepted';
      readonly keyId: number;
      readonly eventId: string;
      /** A command that made a secret (create, roll): the key as its event leaves it, with that secret. */
      readonly key?: ApiKeyView;
    }
  /** What the command would do: the key it would leave and the event it would append (nothing was). */
  | { readonly kind: 'dry_run'; readonly key: ApiKeyView; readonly version: number; readonly event: ApiKeyEvent };

type Done = Extract<WriteResult, { kind: 'done' }>;

/** An Idempotency-Key this request holds: on which key, and until when. */
interface Claimed extends IdempotencyRequest {
  readonly keyId: number;
  readonly expiresAt: string;
}

/** A command made ready to decide: complete, with the key's current state and a new key's secret. */
interface Prepared {
  readonly command: Command;
  readonly state: ApiKeyState | null;
  readonly secret?: string;
}

/**
 * The one way every command runs (create, update, delete, roll, and the next ones):
 * 1. one at a time per key (per owner for creations) in this process, in a bounded queue;
 * 2. a retry with a used Idempotency-Key is answered as its first attempt was, appending nothing;
 * 3. the command is completed (a new key's id and secret; the conditions) and decided by the
 *    domain on the key's current state: a rejection leaves no event;
 * 4. the event is recorded (appended, then the projection awaited, bounded);
 * 5. the answer is what the log decided for this very event, read by its id: the key as it left
 *    it, 404 or 412 when it ignored the event, the first attempt's answer for a retry, 202 when the
 *    projection did not catch up in time.
 * Each step returns here; none calls back into the flow.
 */
@Injectable()
export class CommandFlow {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly readModel: ApiKeysReadModel,
    private readonly recorder: EventRecorder,
    private readonly lock: KeyLock,
    @Inject(API_KEY_ID_ALLOCATOR) private readonly ids: Pick<IdAllocator, 'allocate'>,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'idempotencyWindowMs' | 'maxKeysPerUser'>,
  ) {}

  run(command: PendingCommand, request: WriteRequest): Promise<WriteResult> {
    // One user's creations in turn, so that each counts the keys the one before it made.
    const queue = command.type === 'create' ? `user:${command.owner.userId}` : `key:${command.keyId}`;
    return this.lock.run(queue, () => this.runInTurn(command, request));
  }

  private async runInTurn(pending: PendingCommand, request: WriteRequest): Promise<WriteResult> {
    // Its turn may come after its client left or its deadline passed: then it records nothing.
    assertWithinBounds(request.bounds);
    const { dryRun } = request.conditions;
    const requested = dryRun ? undefined : request.conditions.idempotency;
    const idempotency = requested && (await this.claim(pending, request.caller.userId, requested));
    const keyId = pending.type !== 'create' ? pending.keyId : (idempotency?.keyId ?? (await this.ids.allocate()));
    const recordId = idempotency && idempotencyId(request.caller.userId, keyId, idempotency.key);
    if (recordId) {
      const earlier = await this.readModel.idempotencyRecord(recordId);
      if (earlier && earlier.expires_at > new Date().toISOString()) {
        const answer = repeat(earlier, idempotency);
        return { ...answer, receipt: await this.recorder.receiptOfEarlier(keyId, earlier.offset, request.bounds) };
      }
    }
    const { command, state, secret } = await this.prepare(pending, keyId, request, idempotency);
    const decision = decide(command, state, eventMetadata(request.correlationId));
    if (isRejection(decision)) throw rejectionError(decision.rejection);
    const { event } = decision;
    if (dryRun) {
      const next = evolve(state, event)!;
      return { kind: 'dry_run', key: toView(next), version: next.version, event };
    }
    const { visible, position, receipt } = await this.recorder.record(event, request.bounds);
    if (!visible) return accepted(event, state, secret);
    return this.outcomeOf(event, position, state, secret, recordId, receipt);
  }

  /**
   * Claims the request's Idempotency-Key for this request, on whichever key: a user's first request
   * with it holds it for the window, and another request reusing it is refused at once (422). A
   * create's attempts all get the key id the first one was given, so the log can tell a retry.
   */
  private async claim(pending: PendingCommand, userId: number, idempotency: IdempotencyRequest): Promise<Claimed> {
    const keyId = pending.type === 'create' ? await this.ids.allocate() : pending.keyId;
    const claim = await this.readModel.claimIdempotency({
      _id: idempotencyClaimId(userId, idempotency.key),
      key_id: keyId,
      request_fingerprint: idempotency.fingerprint,
      expires_at: new Date(Date.now() + this.config.idempotencyWindowMs).toISOString(),
    });
    if (claim.request_fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError();
    return { ...idempotency, keyId: claim.key_id, expiresAt: claim.expires_at };
  }

  /**
   * The complete command and the state it is decided on. A new key gets its id, its secret and its
   * owner's count of live keys; a command on a key gets the key's current state and the version
   * If-Match expects of it. Either carries its Idempotency-Key until its window ends.
   */
  private async prepare(
    pending: PendingCommand,
    keyId: number,
    request: WriteRequest,
    idempotency: Claimed | undefined,
  ): Promise<Prepared> {
    const held = idempotency && {
      idempotency: { key: idempotency.key, fingerprint: idempotency.fingerprint, expiresAt: idempotency.expiresAt },
    };
    const actorKeyId = request.caller.keyId;
    if (pending.type !== 'create') {
      const state = await this.states.findAs(keyId, pending.userId);
      const conditions: CommandConditions = {
        ...held,
        expectedVersion: expectedVersion(request.conditions.ifMatch, state?.version),
      };
      if (pending.type !== 'roll') return { command: { ...pending, actorKeyId, conditions }, state };
      // Minted for the roll; shown once, in its answer, and only its hash is recorded.
      const secret = newSecret(state?.key_type ?? 'private');
      return { command: { ...pending, actorKeyId, keyHash: secret.hash, conditions }, state, secret: secret.value };
    }
    // Ids need not be dense: one spent on a refused create is simply never used.
    const liveKeys = (await this.states.liveKeyIdsOf(pending.owner.userId)).length;
    const secret = newSecret(pending.keyType);
    const command: CreateKey = {
      ...pending,
      actorKeyId,
      keyId,
      keyHash: secret.hash,
      liveKeys,
      maxKeys: this.config.maxKeysPerUser,
      conditions: held,
    };
    return { command, state: null, secret: secret.value };
  }

  /**
   * What the log decided for this event. Usually the key tells without another read: the last
   * event applied to it sits at this event's own position, or its document names the event.
   * Otherwise the projector's outcome document does (an ignored event; an applied one its key no
   * longer names).
   */
  private async outcomeOf(
    event: ApiKeyEvent,
    position: AppliedPosition,
    state: ApiKeyState | null,
    secret: string | undefined,
    recordId: string | undefined,
    receipt: string | null,
  ): Promise<WriteResult> {
    const key = await this.states.find(event.api_key_id);
    const done = (now: ApiKeyState): WriteResult => ({
      kind: 'done',
      key: toView(now, secret),
      version: now.version,
      receipt,
    });
    const lastApplied = key?.applied.partition === position.partition && key.applied.offset === position.offset;
    if (key && (lastApplied || heldAsApplied(key, event.event_id))) return done(key);
    const outcome = await this.readModel.eventOutcome(event.event_id);
    switch (outcome?.outcome) {
      case 'applied':
        if (key) return done(key);
        break;
      case 'idempotent_retry': {
        // An earlier attempt with this Idempotency-Key got into the log first: its answer stands.
        const earlier = recordId === undefined ? null : await this.readModel.idempotencyRecord(recordId);
        if (earlier) {
          // The projection passed this event, so the first attempt's too: its receipt, as it answered.
          const first = earlier.offset === undefined ? null : this.recorder.receiptAt(event.api_key_id, earlier.offset);
          return { ...answerOf(earlier), receipt: first ?? receipt };
        }
        break;
      }
      case 'version_mismatch':
        throw new PreconditionFailedError(outcome.version ?? 0);
      case 'key_not_found':
      case 'key_exists':
        throw new ApiKeyNotFoundError();
    }
    // The projection passed the event, yet its outcome is not readable (yet): the event is in the
    // log and will be applied, so the honest answer is "accepted", as when the wait runs out.
    return accepted(event, state, secret);
  }
}

/**
 * 202: the event is in the log. A command that made a secret shows the key as its event leaves it,
 * with that secret: the only chance to see it.
 */
function accepted(event: ApiKeyEvent, state: ApiKeyState | null, secret: string | undefined): WriteResult {
  const next = secret === undefined ? null : evolve(state, event);
  const key = next ? toView(next, secret) : undefined;
  return { kind: 'accepted', keyId: event.api_key_id, eventId: event.event_id, ...(key && { key }) };
}

/** A retry's answer: the first request's, unless the retry is not the same request. */
function repeat(record: IdempotencyRecordDocument, idempotency: IdempotencyRequest): Done {
  if (record.request_fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError();
  return answerOf(record);
}

/** What the log decided for the first request with an Idempotency-Key. */
function answerOf(record: IdempotencyRecordDocument): Done {
  const { key } = record;
  if (record.outcome === 'applied' && key) {
    return { kind: 'done', key: toView(key), version: key.version, repeated: true };
  }
  if (record.outcome === 'version_mismatch' && key) throw new PreconditionFailedError(key.version);
  throw new ApiKeyNotFoundError();
}
