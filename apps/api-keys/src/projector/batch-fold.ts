import { API_KEY_CREATED, API_KEY_DELETED, ApiKeyEvent, evolve } from '@app/domain';
import { AppliedPosition, ProjectedKey } from '../read-model/api-key.document';
import { UserKeysDocument, userKeysId } from '../read-model/schemas';

/** An event and where it sits in the log. */
export interface LoggedEvent {
  readonly event: ApiKeyEvent;
  readonly at: AppliedPosition;
}

/**
 * The domain's fold, made idempotent by log position: an event at or before the key's applied
 * position was folded in already (a redelivery). Null when the event changes nothing.
 */
export function project(current: ProjectedKey | null, event: ApiKeyEvent, at: AppliedPosition): ProjectedKey | null {
  if (current && at.offset <= current.applied.offset) return null;
  const next = evolve(current, event);
  return next && next !== current ? { ...next, applied: at } : null;
}

/** Folds a partition's events, in log order, onto each key's state at the start: the keys they changed. */
export function foldEvents(
  events: readonly LoggedEvent[],
  starts: ReadonlyMap<number, ProjectedKey | null>,
): Map<number, ProjectedKey> {
  const current = new Map(starts);
  const changed = new Map<number, ProjectedKey>();
  for (const { event, at } of events) {
    const next = project(current.get(event.api_key_id) ?? null, event, at);
    if (next) {
      current.set(event.api_key_id, next);
      changed.set(event.api_key_id, next);
    }
  }
  return changed;
}

/**
 * Which key ids the batch's first event for is a creation. Their current state need not be read:
 * they are new, unless a redelivery or a reused id says otherwise, which the insert tells.
 */
export function createdFirst(events: readonly LoggedEvent[]): Set<number> {
  const seen = new Set<number>();
  const created = new Set<number>();
  for (const { event } of events) {
    if (!seen.has(event.api_key_id) && event.event_type === API_KEY_CREATED) created.add(event.api_key_id);
    seen.add(event.api_key_id);
  }
  return created;
}

/** Keys whose batch created or revoked them: the ones the per-user and per-hash read models follow. */
export function membershipChanges(events: readonly LoggedEvent[]): Set<number> {
  return new Set(
    events
      .filter(({ event }) => event.event_type === API_KEY_CREATED || event.event_type === API_KEY_DELETED)
      .map(({ event }) => event.api_key_id),
  );
}

/**
 * The user_keys documents of one partition after the batch: each touched key listed under its
 * owner exactly when it is live. Computed from the keys' final states, so a redelivered batch gives
 * the same documents (idempotent), and a replay the same again, however it is batched (deterministic).
 */
export function userKeysAfter(
  partition: number,
  keys: Iterable<ProjectedKey>,
  before: ReadonlyMap<number, UserKeysDocument | null>,
): UserKeysDocument[] {
  const lists = new Map<number, Set<number>>();
  for (const key of keys) {
    const list = lists.get(key.user_id) ?? new Set(before.get(key.user_id)?.key_ids ?? []);
    if (key.deleted_at === null) list.add(key.id);
    else list.delete(key.id);
    lists.set(key.user_id, list);
  }
  const changed: UserKeysDocument[] = [];
  for (const [userId, list] of lists) {
    const key_ids = [...list].sort((a, b) => a - b);
    // Written when it changes, and the first time a user has a key here even if that key is gone
    // by the batch's end: whether a document exists must not depend on how the log was batched.
    const previous = before.get(userId);
    if (
      previous &&
      key_ids.length === previous.key_ids.length &&
      key_ids.every((id, i) => id === previous.key_ids[i])
    ) {
      continue;
    }
    changed.push({ _id: userKeysId(userId, partition), user_id: userId, partition, key_ids });
  }
  return changed;
}
