import { API_KEY_CREATED, API_KEY_DELETED, API_KEY_UPDATED, ApiKeyEvent } from '@app/contracts';
import { ApiKeyDocument, AppliedPosition } from '../read-model/api-key.document';

/**
 * The projection rule: the next state of one key given its current state and the next event of
 * its partition. Pure and decided from the log alone, so every replay decides the same:
 * - an event at or before the key's applied position was already folded in (redelivery): no change;
 * - a second creation of an existing id is ignored (the first one in the log wins);
 * - an update or delete of a key that is missing, already deleted or owned by someone else is a no-op;
 * - times come from the event (`occurred_at`), never from the clock of whoever replays it.
 */
export function fold(current: ApiKeyDocument | null, event: ApiKeyEvent, at: AppliedPosition): ApiKeyDocument | null {
  if (current && at.offset <= current.applied.offset) return current;
  const time = new Date(event.occurred_at);
  switch (event.event_type) {
    case API_KEY_CREATED:
      if (current) return current;
      return {
        _id: String(event.api_key_id),
        id: event.api_key_id,
        key_type: event.data.key_type,
        name: event.data.name,
        key_hash: event.data.key_hash,
        allowed_origins: [...event.data.allowed_origins],
        allowed_assistants: [...event.data.allowed_assistants],
        transient_assistant: event.data.transient_assistant,
        user_id: event.user_id,
        user_email: event.data.user_email,
        created_at: time,
        updated_at: time,
        deleted_at: null,
        applied: at,
      };
    case API_KEY_UPDATED: {
      if (!current || current.deleted_at || current.user_id !== event.user_id) return current;
      const { name, allowed_origins, allowed_assistants } = event.data.changes;
      return {
        ...current,
        ...(name !== undefined && { name }),
        ...(allowed_origins !== undefined && { allowed_origins: [...allowed_origins] }),
        ...(allowed_assistants !== undefined && { allowed_assistants: [...allowed_assistants] }),
        updated_at: time,
        applied: at,
      };
    }
    case API_KEY_DELETED:
      if (!current || current.deleted_at || current.user_id !== event.user_id) return current;
      return { ...current, deleted_at: time, updated_at: time, applied: at };
  }
}
