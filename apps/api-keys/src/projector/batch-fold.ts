import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_ROLLED,
  API_KEY_UPDATED,
  ApiKeyEvent,
  ApiKeyState,
  evolve,
  isLiveKeyOf,
} from '@app/domain';
import { AppliedPosition } from '@app/contracts';
import { FIRST_EVENT_IDS, ProjectedKey, heldAsApplied, stateOf } from '../read-model/api-key.document';
import {
  EventOutcome,
  EventOutcomeDocument,
  IdempotencyRecordDocument,
  KeyEvent,
  UserKeysDocument,
  idempotencyId,
  keyEventId,
  userKeysId,
} from '../read-model/schemas';

/** An event and where it sits in the log. */
export interface LoggedEvent {
  readonly event: ApiKeyEvent;
  readonly at: AppliedPosition;
}

/**
 * The domain's fold, made idempotent by log position: an event at or before the key's applied
 * position was folded in already (a redelivery). Null when the event changes nothing. An applied
 * event joins the key's `applied_events`: its id while there is room, its time always.
 */
export function project(current: ProjectedKey | null, event: ApiKeyEvent, at: AppliedPosition): ProjectedKey | null {
  if (current && at.offset <= current.applied.offset) return null;
  const next = evolve(current, event);
  if (!next || next === current) return null;
  // evolve's copy carries the current key's own fields along; this one copy replaces them.
  const events = appliedEventsAfter(current, event);
  return { ...next, applied: at, ...(events && { applied_events: events }) };
}

/** A key's applied events once this one is applied too (none kept for a key stored before them). */
function appliedEventsAfter(current: ProjectedKey | null, event: ApiKeyEvent): ProjectedKey['applied_events'] {
  if (!current) return { first_ids: [event.event_id], latest_at: event.occurred_at };
  const before = current.applied_events;
  if (!before) return undefined;
  const roomLeft = before.first_ids.length < FIRST_EVENT_IDS;
  return {
    first_ids: roomLeft ? [...before.first_ids, event.event_id] : before.first_ids,
    latest_at: Date.parse(event.occurred_at) > Date.parse(before.latest_at) ? event.occurred_at : before.latest_at,
  };
}

/**
 * Whether an event of this key may repeat one applied to it before the batch that the key's own
 * document does not name: then its `event_outcomes` document (or the projector's memory) tells.
 * Not for a key whose every applied event is in `first_ids`, nor for an event that happened after
 * all of them (a repeat carries its first record's `occurred_at`).
 */
export function mayRepeatUnlisted(key: ProjectedKey | null, event: ApiKeyEvent): boolean {
  if (!key) return false;
  const events = key.applied_events;
  if (!events) return true;
  if (events.first_ids.length < FIRST_EVENT_IDS || events.first_ids.includes(event.event_id)) return false;
  return Date.parse(event.occurred_at) <= Date.parse(events.latest_at);
}

/**
 * What folding a batch gives: the keys it changed, their new history entries, the idempotency
 * records it set, the outcome documents to write (every ignored event's, and each applied one's
 * that its key's `first_ids` has no room for), and where each applied event sits.
 */
export interface FoldResult {
  readonly changed: Map<number, ProjectedKey>;
  readonly history: KeyEvent[];
  readonly records: Map<string, IdempotencyRecordDocument>;
  readonly outcomes: EventOutcomeDocument[];
  readonly applied: { readonly eventId: string; readonly offset: number }[];
}

/** Why an event that names a key changed nothing, judged on the key as it was before the event. */
function ignoredBecause(before: ApiKeyState | null, event: ApiKeyEvent): IdempotencyRecordDocument['outcome'] {
  if (event.event_type === API_KEY_CREATED) return 'key_exists';
  if (!isLiveKeyOf(before, event.user_id)) return 'key_not_found';
  return 'version_mismatch';
}

/** A key's state without what the projector keeps beside it: what a record keeps of it. */
const snapshot = (key: ProjectedKey | null) => key && stateOf(key);

/**
 * Folds a partition's events, in log order, onto each key's state at the start, by the rules of
 * docs/events.md ("Folding the events"), checked in this order:
 * 1. an event at or before the key's applied position was folded already (a redelivery): skipped;
 * 2. an event whose event_id was applied to its key before, by a record at another offset, is a
 *    duplicate: ignored. Applied before this batch: named by the key's `first_ids`, or in
 *    `knownApplied` (the offset of the record that applied it, from its outcome document or the
 *    projector's memory; the caller looks up what `mayRepeatUnlisted` names); or in this batch;
 * 3. an event with an Idempotency-Key that an earlier event of the same user used on the same key,
 *    before that one's window ends, is a retry: ignored (its answer is the first one's record);
 * 4. then `evolve`: the first creation of an id wins; an update or delete of a missing, revoked or
 *    foreign key, or of a key at another version than it expected, is ignored.
 * Each applied event becomes the key's next history entry; every ignored event but a duplicate
 * gets its outcome document, as does an applied one its key's `first_ids` has no room for; the
 * first event with an Idempotency-Key records what became of it, for retries to be answered the
 * same way. All of it is decided from the log alone.
 */
export function foldBatch(
  events: readonly LoggedEvent[],
  starts: ReadonlyMap<number, ProjectedKey | null>,
  knownRecords: ReadonlyMap<string, IdempotencyRecordDocument> = new Map(),
  knownApplied: ReadonlyMap<string, { readonly offset: number }> = new Map(),
): FoldResult {
  const current = new Map(starts);
  const changed = new Map<number, ProjectedKey>();
  const history: KeyEvent[] = [];
  const records = new Map<string, IdempotencyRecordDocument>();
  const outcomes: EventOutcomeDocument[] = [];
  const applied: FoldResult['applied'] = [];
  const appliedHere = new Map<string, number>();
  for (const { event, at } of events) {
    const id = event.api_key_id;
    const before = current.get(id) ?? null;
    if (before && at.offset <= before.applied.offset) continue;
    // The same event again. (The same record again, redelivered after a crash that left its
    // outcome written but not its key, is not a duplicate of itself.)
    const firstOffset = appliedHere.get(event.event_id) ?? knownApplied.get(event.event_id)?.offset;
    if ((before && heldAsApplied(before, event.event_id)) || (firstOffset !== undefined && firstOffset !== at.offset)) {
      continue;
    }
    const outcomeOf = (outcome: EventOutcome, key: ApiKeyState | null) =>
      outcomes.push({ _id: event.event_id, api_key_id: id, offset: at.offset, outcome, version: key?.version ?? null });
    const recordId =
      event.idempotency_key === undefined ? null : idempotencyId(event.user_id, id, event.idempotency_key);
    const earlier = recordId === null ? undefined : (records.get(recordId) ?? knownRecords.get(recordId));
    if (earlier && earlier.event_id !== event.event_id && event.occurred_at < earlier.expires_at) {
      outcomeOf('idempotent_retry', before);
      continue;
    }
    const next = project(before, event, at);
    const outcome = next ? 'applied' : ignoredBecause(before, event);
    if (!next) outcomeOf(outcome, before);
    if (next) {
      if (!heldAsApplied(next, event.event_id)) outcomeOf(outcome, next);
      appliedHere.set(event.event_id, at.offset);
      applied.push({ eventId: event.event_id, offset: at.offset });
      current.set(id, next);
      changed.set(id, next);
      history.push({
        _id: keyEventId(id, next.version),
        key_id: id,
        version: next.version,
        event_id: event.event_id,
        event_type: event.event_type,
        occurred_at: event.occurred_at,
        correlation_id: event.correlation_id,
        ...(event.actor_key_id !== undefined && { actor_key_id: event.actor_key_id }),
        ...(event.event_type === API_KEY_UPDATED && { changes: event.data.changes }),
        // The key itself: the read model stores only its state (toStoredEntry), so no copy here.
        state: next,
      });
    }
    if (recordId !== null) {
      records.set(recordId, {
        _id: recordId,
        user_id: event.user_id,
        request_fingerprint: event.request_fingerprint!,
        event_id: event.event_id,
        event_type: event.event_type,
        api_key_id: id,
        outcome,
        key: snapshot(next ?? before),
        expires_at: event.idempotency_expires_at!,
        offset: at.offset,
      });
    }
  }
  return { changed, history, records, outcomes, applied };
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

/**
 * The hash lookups a batch adds: each creation's and each roll's secret, mapped to its key. Taken
 * from the events, so any batching of the log adds the same; a hash a key no longer holds (or never
 * held: an ignored event's) is judged not found where the key is used.
 */
export function secretHashes(events: readonly LoggedEvent[]): { _id: string; key_id: number }[] {
  return events.flatMap(({ event }) =>
    event.event_type === API_KEY_CREATED || event.event_type === API_KEY_ROLLED
      ? [{ _id: event.data.key_hash, key_id: event.api_key_id }]
      : [],
  );
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
