import { ApiKeyChanges, FieldValues, completeFields, pickChanges } from './api-key-fields';
import { ApiKeyState, isLiveKeyOf } from './api-key-state';
import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_ROLLED,
  API_KEY_UPDATED,
  ApiKeyCreated,
  ApiKeyDeleted,
  ApiKeyEvent,
  ApiKeyRolled,
  ApiKeyUpdated,
  CURRENT_SCHEMA_VERSION,
  EventMetadata,
  KeyType,
  ROLLED_SCHEMA_VERSION,
} from './events';

/** Why a command may not happen. The API turns each reason into its answer. */
export type Rejection =
  | { readonly reason: 'key_not_found' }
  | { readonly reason: 'key_limit_reached'; readonly limit: number }
  | { readonly reason: 'version_mismatch'; readonly current: number }
  | { readonly reason: 'expiry_not_in_future' };

/** The conditions a request put on its command (If-Match, Idempotency-Key). */
export interface CommandConditions {
  readonly expectedVersion?: number;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string; readonly expiresAt: string };
}

/** What deciding a command gives: the one event to append, or why there is none. */
export type Decision<E extends ApiKeyEvent> = { readonly event: E } | { readonly rejection: Rejection };

export const isRejection = <E extends ApiKeyEvent>(d: Decision<E>): d is { readonly rejection: Rejection } =>
  'rejection' in d;

/** Who asks: the key that authenticated the request (null for an operator's bootstrap). */
interface Actor {
  readonly actorKeyId?: number | null;
}

/** The event a decision appends: the envelope every event shares around its data. */
function eventOf<E extends ApiKeyEvent>(
  type: E['event_type'],
  command: { readonly keyId: number; readonly conditions?: CommandConditions } & Actor,
  userId: number,
  meta: EventMetadata,
  data: E['data'],
): { readonly event: E } {
  const { expectedVersion, idempotency } = command.conditions ?? {};
  const event = {
    ...meta,
    event_type: type,
    schema_version: type === API_KEY_ROLLED ? ROLLED_SCHEMA_VERSION : CURRENT_SCHEMA_VERSION,
    api_key_id: command.keyId,
    user_id: userId,
    actor_key_id: command.actorKeyId ?? null,
    ...(expectedVersion !== undefined && { expected_version: expectedVersion }),
    ...(idempotency && {
      idempotency_key: idempotency.key,
      request_fingerprint: idempotency.fingerprint,
      idempotency_expires_at: idempotency.expiresAt,
    }),
    data,
  };
  return { event: event as E };
}

/** An expiry must lie after the moment the event is decided: a key cannot be made already expired. */
function expiryProblem(fields: Partial<FieldValues>, meta: EventMetadata): Rejection | null {
  const { expires_at } = fields;
  if (expires_at === undefined || expires_at === null) return null;
  return Date.parse(expires_at) > Date.parse(meta.occurred_at) ? null : { reason: 'expiry_not_in_future' };
}

/** A live key of the caller, at the version the command expects (if it expects one). */
function check(state: ApiKeyState | null, userId: number, expectedVersion?: number): Rejection | null {
  if (!isLiveKeyOf(state, userId)) return { reason: 'key_not_found' };
  if (expectedVersion !== undefined && state.version !== expectedVersion) {
    return { reason: 'version_mismatch', current: state.version };
  }
  return null;
}

export interface CreateKey extends Actor {
  readonly type: 'create';
  readonly keyId: number;
  readonly owner: { readonly userId: number; readonly email: string };
  readonly keyType: KeyType;
  readonly keyHash: string;
  readonly transientAssistant: boolean;
  /** The updatable fields the request set; the rest start at their initial values. */
  readonly fields: Partial<FieldValues>;
  /** How many live keys the owner holds, and how many they may. */
  readonly liveKeys: number;
  readonly maxKeys: number;
  readonly conditions?: CommandConditions;
}

export function decideCreate(command: Omit<CreateKey, 'type'>, meta: EventMetadata): Decision<ApiKeyCreated> {
  if (command.liveKeys >= command.maxKeys) {
    return { rejection: { reason: 'key_limit_reached', limit: command.maxKeys } };
  }
  const rejection = expiryProblem(command.fields, meta);
  if (rejection) return { rejection };
  return eventOf<ApiKeyCreated>(API_KEY_CREATED, command, command.owner.userId, meta, {
    key_type: command.keyType,
    ...completeFields(command.fields),
    key_hash: command.keyHash,
    transient_assistant: command.transientAssistant,
    user_email: command.owner.email,
  });
}

export interface UpdateKey extends Actor {
  readonly type: 'update';
  readonly keyId: number;
  readonly userId: number;
  /** Exactly the fields the request set. */
  readonly changes: ApiKeyChanges;
  readonly conditions?: CommandConditions;
}

/**
 * Only the owner of a live key may change it; anyone else learns nothing (not found). With an
 * expected version, the key must be at it now; the event carries it, so that the log decides
 * again if another change gets in first.
 */
export function decideUpdate(
  state: ApiKeyState | null,
  command: Omit<UpdateKey, 'type'>,
  meta: EventMetadata,
): Decision<ApiKeyUpdated> {
  const rejection =
    check(state, command.userId, command.conditions?.expectedVersion) ?? expiryProblem(command.changes, meta);
  if (rejection) return { rejection };
  const data = { changes: pickChanges(command.changes) };
  return eventOf<ApiKeyUpdated>(API_KEY_UPDATED, command, command.userId, meta, data);
}

export interface DeleteKey extends Actor {
  readonly type: 'delete';
  readonly keyId: number;
  readonly userId: number;
  readonly conditions?: CommandConditions;
}

export function decideDelete(
  state: ApiKeyState | null,
  command: Omit<DeleteKey, 'type'>,
  meta: EventMetadata,
): Decision<ApiKeyDeleted> {
  const rejection = check(state, command.userId, command.conditions?.expectedVersion);
  if (rejection) return { rejection };
  return eventOf<ApiKeyDeleted>(API_KEY_DELETED, command, command.userId, meta, {});
}

export const MAX_PREVIOUS_GRACE_SECONDS = 604_800;

export interface RollKey extends Actor {
  readonly type: 'roll';
  readonly keyId: number;
  readonly userId: number;
  /** SHA-256 (hex) of the new secret. */
  readonly keyHash: string;
  /** How long the replaced secret keeps working (0: it stops at once). */
  readonly expirePreviousInSeconds: number;
  readonly conditions?: CommandConditions;
}

/** The whole second at or after `ms`: a grace is never cut short by rounding. */
const wholeSecondAtOrAfter = (ms: number) => new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * A new secret for a live key of the caller's; the replaced one keeps working for the grace (and
 * only the replaced one: a previous secret still in its grace stops at once). Expiry and enabled
 * are left as they are.
 */
export function decideRoll(
  state: ApiKeyState | null,
  command: Omit<RollKey, 'type'>,
  meta: EventMetadata,
): Decision<ApiKeyRolled> {
  const rejection = check(state, command.userId, command.conditions?.expectedVersion);
  if (rejection) return { rejection };
  const grace = command.expirePreviousInSeconds;
  return eventOf<ApiKeyRolled>(API_KEY_ROLLED, command, command.userId, meta, {
    key_hash: command.keyHash,
    previous_key_hash: state!.key_hash,
    previous_key_expires_at: grace > 0 ? wholeSecondAtOrAfter(Date.parse(meta.occurred_at) + grace * 1000) : null,
  });
}

/** Every command on a key. A new one (roll, ...) is one more member and one more case below. */
export type Command = CreateKey | UpdateKey | DeleteKey | RollKey;

/**
 * The decider: the one event a command appends given the key's current state (null for a key not
 * yet in the log), or the named reason it may not. Pure: the event's id and time are given.
 */
export function decide(command: Command, state: ApiKeyState | null, meta: EventMetadata): Decision<ApiKeyEvent> {
  switch (command.type) {
    case 'create':
      return decideCreate(command, meta);
    case 'update':
      return decideUpdate(state, command, meta);
    case 'delete':
      return decideDelete(state, command, meta);
    case 'roll':
      return decideRoll(state, command, meta);
  }
}
