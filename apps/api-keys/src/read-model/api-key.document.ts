import { AppliedPosition, ApiKeyState } from '@app/contracts';

/**
 * How many of a key's applied event ids its own document keeps (`applied_events.first_ids`). Most
 * keys have fewer events than this in their whole life, so telling a duplicate of one of theirs
 * (rule 3 of docs/events.md) needs no document beyond the key's. 16 ids are about 700 bytes.
 */
export const FIRST_EVENT_IDS = 16;

/**
 * Which events were applied to a key: what rule 3 ("Duplicate") is judged on. The ids of its first
 * FIRST_EVENT_IDS applied events are here; each later one has an `applied` document in
 * `event_outcomes`, which is read only for a record that happened no later than the key's latest
 * applied event (`latest_at`): a record that happened after every applied event is none of them.
 */
export interface AppliedEvents {
  /** In log order. */
  readonly first_ids: readonly string[];
  /** The latest `occurred_at` of the events applied to the key (the greatest, not the last one's). */
  readonly latest_at: string;
}

/**
 * A key's state as the projector folded it, and how far into the log that fold went: replays skip
 * anything at or before `applied`. `applied_events` is absent from keys stored before it existed:
 * every applied event of theirs has its `event_outcomes` document.
 */
export type ProjectedKey = ApiKeyState & {
  readonly applied: AppliedPosition;
  readonly applied_events?: AppliedEvents;
};

/**
 * How a projected key is stored (collection `api_keys`): the state as it is, plus `_id`, the id
 * as a decimal string. FerretDB finds documents through its `_id` index only for string (or
 * ObjectId) values in a filter of `_id` alone; anything else scans the collection.
 * `applied_events` is stored as one text, `"<latest_at> <id> <id> ..."`: the store spends time on
 * every field and array item it is given (docs/benchmarks.md), and nothing queries these.
 */
export type ApiKeyDocument = Omit<ProjectedKey, 'applied_events'> & {
  readonly _id: string;
  readonly applied_events?: string;
};

export function toDocument(key: ProjectedKey): ApiKeyDocument {
  const { applied_events: events, ...rest } = key;
  const stored = events && [events.latest_at, ...events.first_ids].join(' ');
  return { _id: String(key.id), ...rest, ...(stored && { applied_events: stored }) };
}

export function fromDocument(doc: ApiKeyDocument): ProjectedKey {
  const { _id, applied_events: stored, ...key } = doc;
  if (stored === undefined) return key;
  const [latest_at, ...first_ids] = stored.split(' ');
  return { ...key, applied_events: { first_ids, latest_at } };
}

/** The key's state alone, without what the projector keeps beside it. */
export function stateOf(key: ProjectedKey): ApiKeyState {
  const { applied: _applied, applied_events: _events, ...state } = key;
  return state;
}

/** Whether this event was applied to the key, as far as the key's own document tells. */
export const heldAsApplied = (key: ProjectedKey, eventId: string): boolean =>
  key.applied_events?.first_ids.includes(eventId) ?? false;
