// Which fields each schema_version carries. A field belongs to the versions that define it: the
// first versions of the events and the state carry the three fields the service began with, frozen
// here; every field added since came with a new version (docs/events.md), which carries them all.
import {
  API_KEY_ROLLED,
  ApiKeyEvent,
  CONDITIONAL_SCHEMA_VERSION,
  CURRENT_SCHEMA_VERSION,
  FieldRules,
  SCHEMA_VERSION,
  UPDATABLE_FIELDS,
  UpdatableField,
} from '@app/domain';

export type EventType = ApiKeyEvent['event_type'];

/** The updatable fields of the first versions, as they were then. */
export const FIRST_FIELDS: readonly UpdatableField[] = ['name', 'allowed_origins', 'allowed_assistants'];

export const ALL_FIELDS = Object.keys(UPDATABLE_FIELDS) as readonly UpdatableField[];

/** Every schema_version of every event type the service has written (and so reads). */
export const EVENT_VERSIONS: { readonly [T in EventType]: readonly number[] } = {
  ApiKeyCreated: [SCHEMA_VERSION, CONDITIONAL_SCHEMA_VERSION, CURRENT_SCHEMA_VERSION],
  ApiKeyUpdated: [SCHEMA_VERSION, CONDITIONAL_SCHEMA_VERSION, CURRENT_SCHEMA_VERSION],
  ApiKeyDeleted: [SCHEMA_VERSION, CONDITIONAL_SCHEMA_VERSION, CURRENT_SCHEMA_VERSION],
  ApiKeyRolled: [1],
};

/** The updatable fields an event of this version may name in `data` or `data.changes`. */
export const eventFields = (version: number): readonly UpdatableField[] =>
  version >= CURRENT_SCHEMA_VERSION ? ALL_FIELDS : FIRST_FIELDS;

/** Whether events of this type and version may carry conditions (If-Match, Idempotency-Key). */
export const carriesConditions = (type: EventType, version: number) =>
  type === API_KEY_ROLLED || version >= CONDITIONAL_SCHEMA_VERSION;

/** Whether events of this type and version name the key that made the request (`actor_key_id`). */
export const carriesActor = (type: EventType, version: number) =>
  type === API_KEY_ROLLED || version >= CURRENT_SCHEMA_VERSION;

/** The state topic's versions: 1 with the first fields; 2 with every field and a rolled key's previous secret. */
export const STATE_VERSIONS = [1, 2] as const;
export const CURRENT_STATE_VERSION = 2;
export const stateFields = (version: number): readonly UpdatableField[] => (version >= 2 ? ALL_FIELDS : FIRST_FIELDS);

const RULES = new WeakMap<readonly UpdatableField[], FieldRules>();

/** The rules of just these fields (made once per list: every record of a version asks for them). */
export function rulesOf(fields: readonly UpdatableField[]): FieldRules {
  let rules = RULES.get(fields);
  if (!rules) {
    rules = Object.fromEntries(fields.map((field) => [field, UPDATABLE_FIELDS[field]]));
    RULES.set(fields, rules);
  }
  return rules;
}
