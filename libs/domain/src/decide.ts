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
  SCHEMA_VERSION,
} from './events';

/** Why a command may not happen. The API turns each reason into its answer. */
export type Rejection =
  { readonly reason: 'key_not_found' } | { readonly reason: 'key_limit_reached'; readonly limit: number };

/** What deciding a command gives: the one event to append, or why there is none. */
export type Decision<E extends ApiKeyEvent> = { readonly event: E } | { readonly rejection: Rejection };

export const isRejection = <E extends ApiKeyEvent>(d: Decision<E>): d is { readonly rejection: Rejection } =>
  'rejection' in d;

const KEY_NOT_FOUND: { readonly rejection: Rejection } = { rejection: { reason: 'key_not_found' } };

/** The event a decision appends: the envelope every event shares around its data. */
function eventOf<E extends ApiKeyEvent>(
  type: E['event_type'],
  keyId: number,
  userId: number,
  meta: EventMetadata,
  data: E['data'],
): { readonly event: E } {
  const event = { ...meta, event_type: type, schema_version: SCHEMA_VERSION, api_key_id: keyId, user_id: userId, data };
  return { event: event as E };
}

export interface CreateKey {
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
}

export function decideCreate(command: CreateKey, meta: EventMetadata): Decision<ApiKeyCreated> {
  if (command.liveKeys >= command.maxKeys) {
    return { rejection: { reason: 'key_limit_reached', limit: command.maxKeys } };
  }
  return eventOf<ApiKeyCreated>(API_KEY_CREATED, command.keyId, command.owner.userId, meta, {
    key_type: command.keyType,
    ...completeFields(command.fields),
    key_hash: command.keyHash,
    transient_assistant: command.transientAssistant,
    user_email: command.owner.email,
  });
}

export interface UpdateKey {
  readonly keyId: number;
  readonly userId: number;
  /** Exactly the fields the request set. */
  readonly changes: ApiKeyChanges;
}

/** Only the owner of a live key may change it; anyone else learns nothing (not found). */
export function decideUpdate(state: ApiKeyState | null, command: UpdateKey, meta: EventMetadata) {
  if (!isLiveKeyOf(state, command.userId)) return KEY_NOT_FOUND;
  return eventOf<ApiKeyUpdated>(API_KEY_UPDATED, command.keyId, command.userId, meta, {
    changes: pickChanges(command.changes),
  });
}

export interface DeleteKey {
  readonly keyId: number;
  readonly userId: number;
}

export function decideDelete(state: ApiKeyState | null, command: DeleteKey, meta: EventMetadata) {
  if (!isLiveKeyOf(state, command.userId)) return KEY_NOT_FOUND;
  return eventOf<ApiKeyDeleted>(API_KEY_DELETED, command.keyId, command.userId, meta, {});
}
