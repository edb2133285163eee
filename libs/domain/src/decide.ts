import { ApiKeyChanges, FieldValues, completeFields, pickChanges } from './api-key-fields';
import { ApiKeyState, isLiveKeyOf } from './api-key-state';
import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_UPDATED,
  ApiKeyCreated,
  ApiKeyDeleted,
  ApiKeyEvent,
  ApiKeyUpdated,
  EventMetadata,
  KeyType,
  CONDITIONAL_SCHEMA_VERSION,
  SCHEMA_VERSION,
} from './events';

/** Why a command may not happen. The API turns each reason into its answer. */
export type Rejection =
  | { readonly reason: 'key_not_found' }
  | { readonly reason: 'key_limit_reached'; readonly limit: number }
  | { readonly reason: 'version_mismatch'; readonly current: number };

/** The conditions a request put on its command (If-Match, Idempotency-Key). */
export interface CommandConditions {
  readonly expectedVersion?: number;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string; readonly expiresAt: string };
}

/** What deciding a command gives: the one event to append, or why there is none. */
export type Decision<E extends ApiKeyEvent> = { readonly event: E } | { readonly rejection: Rejection };

export const isRejection = <E extends ApiKeyEvent>(d: Decision<E>): d is { readonly rejection: Rejection } =>
  'rejection' in d;

/** The event a decision appends: the envelope every event shares around its data. */
function eventOf<E extends ApiKeyEvent>(
  type: E['event_type'],
  keyId: number,
  userId: number,
  meta: EventMetadata,
  data: E['data'],
  { expectedVersion, idempotency }: CommandConditions = {},
): { readonly event: E } {
  const conditional = expectedVersion !== undefined || idempotency !== undefined;
  const event = {
    ...meta,
    event_type: type,
    schema_version: conditional ? CONDITIONAL_SCHEMA_VERSION : SCHEMA_VERSION,
    api_key_id: keyId,
    user_id: userId,
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

/** A live key of the caller, at the version the command expects (if it expects one). */
function check(state: ApiKeyState | null, userId: number, expectedVersion?: number): Rejection | null {
  if (!isLiveKeyOf(state, userId)) return { reason: 'key_not_found' };
  if (expectedVersion !== undefined && state.version !== expectedVersion) {
    return { reason: 'version_mismatch', current: state.version };
  }
  return null;
}

export interface CreateKey {
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
  return eventOf<ApiKeyCreated>(
    API_KEY_CREATED,
    command.keyId,
    command.owner.userId,
    meta,
    {
      key_type: command.keyType,
      ...completeFields(command.fields),
      key_hash: command.keyHash,
      transient_assistant: command.transientAssistant,
      user_email: command.owner.email,
    },
    command.conditions,
  );
}

export interface UpdateKey {
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
  const rejection = check(state, command.userId, command.conditions?.expectedVersion);
  if (rejection) return { rejection };
  const data = { changes: pickChanges(command.changes) };
  return eventOf<ApiKeyUpdated>(API_KEY_UPDATED, command.keyId, command.userId, meta, data, command.conditions);
}

export interface DeleteKey {
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
  return eventOf<ApiKeyDeleted>(API_KEY_DELETED, command.keyId, command.userId, meta, {}, command.conditions);
}

/** Every command on a key. A new one (roll, ...) is one more member and one more case below. */
export type Command = CreateKey | UpdateKey | DeleteKey;

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
  }
}
