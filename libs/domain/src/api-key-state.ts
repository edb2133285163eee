import { FieldValues, completeFields, pickChanges } from './api-key-fields';
import { API_KEY_CREATED, API_KEY_DELETED, API_KEY_ROLLED, API_KEY_UPDATED, ApiKeyEvent, KeyType } from './events';

/** One key as its events made it. Times are the events' own ISO 8601 strings. */
export interface ApiKeyState extends FieldValues {
  readonly id: number;
  readonly key_type: KeyType;
  /** SHA-256 (hex) of the secret. */
  readonly key_hash: string;
  /** After a roll with a grace period: the replaced secret's hash, and until when it still works. */
  readonly previous_key_hash: string | null;
  readonly previous_key_expires_at: string | null;
  readonly transient_assistant: boolean;
  readonly user_id: number;
  readonly user_email: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** Set once the key is revoked; a revoked key stays, so that later events stay no-ops. */
  readonly deleted_at: string | null;
  /** How many events changed the key (1 after its creation). */
  readonly version: number;
}

/** The one rule for "may this user act on this key": it exists, is not revoked, and is theirs. */
export function isLiveKeyOf(state: ApiKeyState | null, userId: number): state is ApiKeyState {
  return state !== null && state.deleted_at === null && state.user_id === userId;
}

/** Whether a conditional event still holds: the key is at the version it expected, if any. */
const expectedVersionHolds = (state: ApiKeyState, event: ApiKeyEvent) =>
  event.expected_version === undefined || event.expected_version === state.version;

/**
 * The next state of one key given its current state and its next event in the log. Pure and
 * decided from the log alone, so every replay decides the same:
 * - a second creation of an existing id is ignored (the first one in the log wins);
 * - an update, delete or roll of a key that is missing, revoked or someone else's is a no-op;
 * - so is one that expected another version than the key has (If-Match lost a race);
 * - times come from the event, never from the clock of whoever replays it.
 */
export function evolve(state: ApiKeyState | null, event: ApiKeyEvent): ApiKeyState | null {
  switch (event.event_type) {
    case API_KEY_CREATED: {
      if (state) return state;
      const { key_type, key_hash, transient_assistant, user_email } = event.data;
      return {
        id: event.api_key_id,
        key_type,
        ...completeFields(event.data),
        key_hash,
        previous_key_hash: null,
        previous_key_expires_at: null,
        transient_assistant,
        user_id: event.user_id,
        user_email,
        created_at: event.occurred_at,
        updated_at: event.occurred_at,
        deleted_at: null,
        version: 1,
      };
    }
    case API_KEY_UPDATED:
      if (!isLiveKeyOf(state, event.user_id) || !expectedVersionHolds(state, event)) return state;
      return {
        ...state,
        ...pickChanges(event.data.changes),
        updated_at: event.occurred_at,
        version: state.version + 1,
      };
    case API_KEY_DELETED:
      if (!isLiveKeyOf(state, event.user_id) || !expectedVersionHolds(state, event)) return state;
      return { ...state, deleted_at: event.occurred_at, updated_at: event.occurred_at, version: state.version + 1 };
    case API_KEY_ROLLED: {
      if (!isLiveKeyOf(state, event.user_id) || !expectedVersionHolds(state, event)) return state;
      // One previous secret at most: a roll during a grace ends the earlier previous at once.
      const until = event.data.previous_key_expires_at;
      return {
        ...state,
        key_hash: event.data.key_hash,
        previous_key_hash: until === null ? null : event.data.previous_key_hash,
        previous_key_expires_at: until,
        updated_at: event.occurred_at,
        version: state.version + 1,
      };
    }
  }
}
