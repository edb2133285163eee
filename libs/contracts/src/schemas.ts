// The JSON Schemas (draft 2020-12) of everything the service publishes, generated from the domain
// and the fields' presentation: the updatable fields' schema fragments (field-presentation.ts), the
// event types and the envelope every event shares. The generated files are committed under
// libs/contracts/schemas/ for consumers, and schemas.spec.ts fails when they differ from what this
// module produces, so they cannot drift.
//
// The property maps below are typed by the domain's TypeScript types: a field added to an event's
// data, to the envelope or to ApiKeyState fails the type check until its schema is written here.
import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_ROLLED,
  API_KEY_UPDATED,
  ApiKeyCreatedData,
  ApiKeyEvent,
  ApiKeyRolledData,
  ApiKeyState,
  ApiKeyUpdatedData,
  EventConditions,
  FieldRule,
  KEY_TYPES,
  UPDATABLE_FIELDS,
  UpdatableField,
  VERIFICATION_CODES,
} from '@app/domain';
import { JsonSchema, WHOLE_SECOND_TIME_OR_NULL, fieldSchemas } from './field-presentation';
import {
  CURRENT_STATE_VERSION,
  EVENT_VERSIONS,
  EventType,
  STATE_VERSIONS,
  carriesActor,
  carriesConditions,
  eventFields,
  stateFields,
} from './versions';

export type { JsonSchema };

/**
 * The canonical base of our schema identifiers: the `$id` of every committed file under
 * libs/contracts/schemas/ is this base followed by the file's name. A running service publishes
 * and serves the same files under its own base (SCHEMA_BASE_URL, by default its own `/schemas/`
 * URL), so that a record's ce_dataschema can be fetched where the service runs; only the base
 * differs, the file name after it names one message type and one `schema_version` for good.
 */
export const SCHEMA_ID_BASE = 'https://schemas.api-keys.example/';

const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** The `schema_version` of the state topic's values the service writes (independent of the events'). */
export const STATE_SCHEMA_VERSION = CURRENT_STATE_VERSION;

/** The CloudEvents type of the state topic's records. */
export const API_KEY_STATE = 'ApiKeyState';

/** A key's SHA-256 digest as events and state carry it: lower-case hex. */
export const KEY_HASH_PATTERN = '^[0-9a-f]{64}$';

export type { EventType };

/** `ApiKeyCreated` -> `api-key-created`: how a type is spelled in file names. */
const kebab = (type: string) => type.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase();

/** The file (under libs/contracts/schemas/, and under `/schemas/` where the service runs) of an event type's schema. */
export const eventSchemaFile = (type: EventType, version: number) => `${kebab(type)}.v${version}.json`;

/** The file of a state version's schema (by default: the version the service writes). */
export const stateSchemaFile = (version: number = STATE_SCHEMA_VERSION) => `${kebab(API_KEY_STATE)}.v${version}.json`;
export const STATE_SCHEMA_FILE = stateSchemaFile();

export const DEAD_LETTER_SCHEMA_FILE = 'dead-letter.v1.json';

/**
 * The CloudEvents type of the usage topic's records, the `schema_version`s a reader reads (1: one
 * key a record; 2: many keys of one partition a record) and the one written (the last).
 */
export const API_KEY_USAGE = 'ApiKeyUsage';
export const USAGE_VERSIONS = [1, 2] as const;
export const USAGE_SCHEMA_VERSION = 2;
export const usageSchemaFile = (version: number = USAGE_SCHEMA_VERSION) => `${kebab(API_KEY_USAGE)}.v${version}.json`;
export const USAGE_SCHEMA_FILE = usageSchemaFile();

/**
 * The `$id` of an event type's schema at a `schema_version` under a base (the canonical one of the
 * committed files unless given); also the records' ce_dataschema.
 */
export const eventSchemaId = (type: EventType, version: number, base: string = SCHEMA_ID_BASE) =>
  `${base}${eventSchemaFile(type, version)}`;

export const STATE_SCHEMA_ID = `${SCHEMA_ID_BASE}${STATE_SCHEMA_FILE}`;

export const DEAD_LETTER_SCHEMA_ID = `${SCHEMA_ID_BASE}${DEAD_LETTER_SCHEMA_FILE}`;

export const USAGE_SCHEMA_ID = `${SCHEMA_ID_BASE}${USAGE_SCHEMA_FILE}`;

/** One generated schema and the file (under libs/contracts/schemas/) it is committed as. */
export interface ContractSchema {
  readonly file: string;
  readonly schema: JsonSchema;
}

const GENERATED =
  'Generated from libs/domain by libs/contracts/src/schemas.ts; do not edit. Regenerate with ' +
  '`UPDATE_CONTRACT_SCHEMAS=1 npx jest libs/contracts --selectProjects unit` (see docs/events.md).';

const header = (id: string, title: string, description: string) => ({
  $schema: JSON_SCHEMA_DIALECT,
  $id: id,
  $comment: GENERATED,
  title,
  description,
});

const positiveId = (description: string): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description,
});

const isoTime = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description });

/** The updatable fields a reader may not default: those a creation must set. */
const requiredFields = (fields: readonly UpdatableField[]) =>
  (Object.entries(UPDATABLE_FIELDS) as [UpdatableField, FieldRule<unknown>][])
    .filter(([field, rule]) => rule.requiredOnCreate && fields.includes(field))
    .map(([field]) => field);

const keyType: JsonSchema = {
  type: 'string',
  enum: [...KEY_TYPES],
  description: 'private: server-side use, may manage keys; public: client-side use, refused on key management.',
};
const keyHash: JsonSchema = {
  type: 'string',
  pattern: KEY_HASH_PATTERN,
  description: 'SHA-256 of the key, lower-case hex. The key itself is never published.',
};
const transientAssistant: JsonSchema = {
  type: 'boolean',
  description: 'The transient_assistant flag the key was created with (default false); it never changes.',
};
const userEmail: JsonSchema = {
  type: 'string',
  description: "The owner's email address, as the user was registered (lower-case).",
};

function createdData(version: number): JsonSchema {
  const fields = eventFields(version);
  const properties: { readonly [K in keyof ApiKeyCreatedData]-?: JsonSchema } = {
    key_type: keyType,
    ...fieldSchemas('record', fields),
    key_hash: keyHash,
    transient_assistant: transientAssistant,
    user_email: userEmail,
  };
  return {
    type: 'object',
    description:
      'The whole new key. An updatable field an older event lacks has its initial value ' +
      '(an empty list for allowed_origins and allowed_assistants).',
    required: ['key_type', ...requiredFields(fields), 'key_hash', 'transient_assistant', 'user_email'],
    properties,
    additionalProperties: false,
  };
}

function updatedData(version: number): JsonSchema {
  const properties: { readonly [K in keyof ApiKeyUpdatedData]-?: JsonSchema } = {
    changes: {
      type: 'object',
      description:
        'Exactly the fields the request set, with their new values; lists and meta replace the old value ' +
        'whole. A field not named here keeps its value.',
      minProperties: 1,
      properties: fieldSchemas('record', eventFields(version)),
      additionalProperties: false,
    },
  };
  return { type: 'object', required: ['changes'], properties, additionalProperties: false };
}

function rolledData(): JsonSchema {
  const properties: { readonly [K in keyof ApiKeyRolledData]-?: JsonSchema } = {
    key_hash: { ...keyHash, description: 'SHA-256 of the new secret, lower-case hex.' },
    previous_key_hash: { ...keyHash, description: 'SHA-256 of the secret it replaces, lower-case hex.' },
    previous_key_expires_at: {
      ...WHOLE_SECOND_TIME_OR_NULL,
      description:
        'Until when the replaced secret still authenticates (UTC, whole seconds): valid while now < this. ' +
        'Null: it stopped at once. Any earlier previous secret stops at this event.',
    },
  };
  return { type: 'object', required: Object.keys(properties), properties, additionalProperties: false };
}

const deletedData: JsonSchema = {
  type: 'object',
  description: 'Empty: the envelope says everything. The key is revoked at occurred_at.',
  maxProperties: 0,
};

const DATA: {
  readonly [T in EventType]: { readonly data: (version: number) => JsonSchema; readonly description: string };
} = {
  [API_KEY_CREATED]: {
    data: createdData,
    description: 'A key was created. The first ApiKeyCreated of an id in the log wins; a later one is ignored.',
  },
  [API_KEY_UPDATED]: {
    data: updatedData,
    description:
      "Some of a live key's updatable fields were changed by its owner. An update of a key that is missing, " +
      'revoked or owned by another user_id changes nothing.',
  },
  [API_KEY_DELETED]: {
    data: () => deletedData,
    description:
      'A key was revoked by its owner. It stops authenticating; later updates and deletes of it change nothing.',
  },
  [API_KEY_ROLLED]: {
    data: rolledData,
    description:
      "A live key was given a new secret by its owner; the replaced one keeps working until the event's " +
      'previous_key_expires_at. Neither expires_at nor enabled changes. A roll of a key that is missing, ' +
      'revoked or owned by another user_id changes nothing.',
  },
};

/** Every event type, in the order of a key's life. */
export const EVENT_TYPES = Object.keys(DATA) as readonly EventType[];

/** What a version-2 event may carry besides a version-1 event's fields: its conditions. */
const CONDITIONS: { readonly [K in keyof EventConditions]-?: JsonSchema } = {
  expected_version: {
    type: 'integer',
    minimum: 0,
    description:
      "The key's version the request expected (If-Match). The event changes the key only if the key is at " +
      'this version when the event is folded; otherwise it is ignored.',
  },
  idempotency_key: {
    type: 'string',
    minLength: 1,
    maxLength: 255,
    description:
      "The request's Idempotency-Key. A later event of the same API key and user_id with the same " +
      "Idempotency-Key, occurring before this one's idempotency_expires_at, is a retry and is ignored.",
  },
  request_fingerprint: {
    type: 'string',
    pattern: KEY_HASH_PATTERN,
    description: 'SHA-256 (hex) of the request the Idempotency-Key was first used for.',
  },
  idempotency_expires_at: isoTime('Until when the Idempotency-Key is remembered.'),
};

/** What each version of the first three event types adds (0: a type whose first version has it all). */
const VERSION_NOTES: Record<number, string> = {
  0: '',
  1: '',
  2:
    'Version 2 is version 1 with conditions (If-Match, Idempotency-Key) that decide whether the event ' +
    'applies: a reader of version 1 must not take it for a plain event.',
  3:
    'Version 3 carries every field of the key (expires_at, enabled and meta joined), the conditions when ' +
    'the request set any, and actor_key_id.',
};

/** A creation expects no version (If-Match names an existing key); the other events may. */
function conditionsOf(type: EventType): JsonSchema {
  if (type !== API_KEY_CREATED) return CONDITIONS;
  const { expected_version: _none, ...rest } = CONDITIONS;
  return rest;
}

const actorKeyId: JsonSchema = {
  anyOf: [{ type: 'null' }, { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }],
  description: 'The key that made the request (it may be the key the event is about); null for an operator bootstrap.',
};

function eventSchema(type: EventType, version: number, base: string): JsonSchema {
  const properties: { readonly [K in keyof Omit<ApiKeyEvent, keyof EventConditions | 'actor_key_id'>]-?: JsonSchema } =
    {
      event_id: {
        type: 'string',
        format: 'uuid',
        description: "The event's unique id; also the ce_id header. The same id twice is the same event twice.",
      },
      event_type: { const: type },
      schema_version: { const: version },
      api_key_id: positiveId('The key the event is about; also the message key and ce_subject, as a decimal string.'),
      user_id: positiveId("The key's owner, who made the change."),
      occurred_at: isoTime(
        'When the service decided the event: RFC 3339, UTC, with milliseconds (2024-01-15T11:00:00.123Z); also ' +
          'ce_time. The REST API shows the same time to the whole second: truncate this one to join them.',
      ),
      correlation_id: {
        type: 'string',
        description: 'The X-Request-Id of the request that caused the event, or the id generated for it.',
      },
      data: DATA[type].data(version),
    };
  const conditional = carriesConditions(type, version);
  const actor = carriesActor(type, version);
  const description = `${DATA[type].description} ${VERSION_NOTES[type === API_KEY_ROLLED ? 0 : version]}`.trim();
  return {
    ...header(eventSchemaId(type, version, base), `${type}, schema_version ${version}`, description),
    type: 'object',
    required: [...Object.keys(properties), ...(actor ? ['actor_key_id'] : [])],
    properties: {
      ...properties,
      ...(actor && { actor_key_id: actorKeyId }),
      ...(conditional && conditionsOf(type)),
    },
    ...(conditional && {
      dependentRequired: {
        idempotency_key: ['request_fingerprint', 'idempotency_expires_at'],
        request_fingerprint: ['idempotency_key'],
        idempotency_expires_at: ['idempotency_key'],
      },
    }),
  };
}

/** The state topic's value: one key's current state, as the projector's fold made it. */
function stateSchema(version: number, base: string): JsonSchema {
  const fields = stateFields(version);
  const rolled = version >= 2;
  const state: { readonly [K in keyof ApiKeyState]-?: JsonSchema } = {
    id: positiveId('The key id; also the message key and ce_subject, as a decimal string.'),
    key_type: keyType,
    ...fieldSchemas('record', fields),
    previous_key_hash: {
      anyOf: [{ type: 'null' }, keyHash],
      description: "After a roll with a grace period: the replaced secret's SHA-256; else null.",
    },
    previous_key_expires_at: {
      ...WHOLE_SECOND_TIME_OR_NULL,
      description:
        'Until when the replaced secret still authenticates (valid while now < this; past it, treat it as ' +
        'null: no event marks the end); else null.',
    },
    transient_assistant: transientAssistant,
    user_id: positiveId("The key's owner."),
    user_email: userEmail,
    key_hash: keyHash,
    created_at: isoTime(
      'occurred_at of the ApiKeyCreated event, with milliseconds. The REST API answers it truncated to the second.',
    ),
    updated_at: isoTime(
      'occurred_at of the last event that changed the key, with milliseconds; also ce_time. The REST API answers ' +
        'it truncated to the second.',
    ),
    deleted_at: {
      anyOf: [{ type: 'null' }, isoTime('occurred_at of the ApiKeyDeleted event.')],
      description: 'Null while the key is live. A revoked key is published once with it set, then tombstoned.',
    },
    version: {
      type: 'integer',
      minimum: 1,
      description: 'How many events changed the key (1 after its creation); ce_id is "<id>:<version>".',
    },
  };
  const { previous_key_hash, previous_key_expires_at, ...always } = state;
  const properties = {
    schema_version: { const: version },
    ...always,
    ...(rolled && { previous_key_hash, previous_key_expires_at }),
    applied: {
      type: 'object',
      description: 'Where in the events topic the last event applied to the key is.',
      required: ['partition', 'offset'],
      properties: {
        partition: { type: 'integer', minimum: 0 },
        offset: { type: 'integer', minimum: 0 },
      },
    },
  };
  // An updatable field a creation need not set may be missing (a record written before it
  // existed): a reader takes its initial value.
  const optional = new Set<string>(fields.filter((field) => !requiredFields(fields).includes(field)));
  return {
    ...header(
      `${base}${stateSchemaFile(version)}`,
      `${API_KEY_STATE}, schema_version ${version}`,
      'The current state of one key, the value of its record on the compacted state topic. A record with ' +
        'no value (a tombstone) means the key was deleted and is forgotten. An updatable field an older ' +
        'record lacks has its initial value.',
    ),
    type: 'object',
    required: Object.keys(properties).filter((field) => !optional.has(field)),
    properties,
  };
}

/** A dead letter's value is the unreadable record's value, byte for byte: nothing can be promised. */
function deadLetterSchema(base: string): JsonSchema {
  return header(
    `${base}${DEAD_LETTER_SCHEMA_FILE}`,
    'Dead letter of the events topic',
    'The value of an events-topic record the service could not read, unchanged: usually a JSON event of a ' +
      'type or schema_version this service does not know, or a malformed one; possibly not JSON at all, or ' +
      'empty when the record had no value. The dlq_* headers say why and where it came from.',
  );
}

/** The most keys one usage record (schema_version 2) names. */
export const MAX_KEYS_PER_USAGE_RECORD = 500;

/**
 * The usage topic's value: one instance's counts of one window, for one key (schema_version 1) or
 * for up to MAX_KEYS_PER_USAGE_RECORD keys of one partition (2).
 */
function usageSchema(version: (typeof USAGE_VERSIONS)[number], base: string): JsonSchema {
  const counts: JsonSchema = {
    type: 'object',
    description: 'Uses with this code, by the secret they presented.',
    required: ['current', 'previous'],
    properties: {
      current: { type: 'integer', minimum: 0, description: "Uses that presented the key's current secret." },
      previous: {
        type: 'integer',
        minimum: 0,
        description: "Uses that presented a rolled key's previous secret, within its grace.",
      },
    },
    additionalProperties: false,
  };
  const time = (description: string) => isoTime(`${description} RFC 3339, UTC, with milliseconds.`);
  const window = {
    source: {
      type: 'string',
      enum: ['verifier', 'api'],
      description: "Who counted: a verifier (POST /v1/keys/verify) or the API's own authentication.",
    },
    instance: {
      type: 'string',
      minLength: 1,
      description: 'The counting process, a new id at each start. With sequence, the identity of the record.',
    },
    sequence: {
      type: 'integer',
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description:
        version === 1
          ? "The instance's flush number: 1 first, then one more per flush. A record whose (instance, sequence) a " +
            'reader has applied to the key, or one with a lower sequence of that instance, is a repeat: skip it.'
          : "The instance's flush number: 1 first, then one more per flush. A key's counts whose (instance, " +
            'sequence) a reader has applied to the key, or with a lower sequence of that instance, are a repeat: skip them.',
    },
    window_start: time('When the counting window began (the previous flush, or the start).'),
    window_end: time('When it was flushed; also ce_time.'),
  };
  const uses = {
    last_used_at: time('The latest use of the key in the window, whatever its code.'),
    previous_last_used_at: {
      anyOf: [{ type: 'null' }, isoTime('RFC 3339, UTC, with milliseconds.')],
      description: "The latest use in the window that presented the key's previous secret; null when none did.",
    },
    verifications: {
      type: 'object',
      description:
        'Uses by outcome code (as the verifier names them; the API counts an authenticated key VALID, a refused ' +
        'one EXPIRED or DISABLED), only the codes the window saw. A secret that matched no key (NOT_FOUND) is ' +
        'never counted here.',
      minProperties: 1,
      properties: Object.fromEntries(
        VERIFICATION_CODES.filter((code) => code !== 'NOT_FOUND').map((code) => [code, counts]),
      ),
      additionalProperties: false,
    },
  };
  const properties =
    version === 1
      ? {
          schema_version: { const: 1 },
          api_key_id: positiveId('The key that was used; also the message key and ce_subject, as a decimal string.'),
          ...window,
          ...uses,
        }
      : {
          schema_version: { const: 2 },
          ...window,
          keys: {
            type: 'array',
            minItems: 1,
            maxItems: MAX_KEYS_PER_USAGE_RECORD,
            description:
              "The keys used in the window, each once, all on the partition of this record (the first one's id is " +
              'the message key and ce_subject, as a decimal string).',
            items: {
              type: 'object',
              required: ['api_key_id', ...Object.keys(uses)],
              properties: { api_key_id: positiveId('The key that was used.'), ...uses },
              additionalProperties: false,
            },
          },
        };
  const what =
    version === 1
      ? "One key's uses, counted by one instance (a verifier, or the API's authentication) between two of its " +
        'flushes. Sum the records of a key'
      : "Uses of keys of one partition, counted by one instance (a verifier, or the API's authentication) between " +
        'two of its flushes (a flush of many keys is several records). Sum the counts of a key';
  return {
    ...header(
      `${base}${usageSchemaFile(version)}`,
      `${API_KEY_USAGE}, schema_version ${version}`,
      `${what} for its totals; a record may be delivered or appended twice, and (instance, sequence) tells a repeat.`,
    ),
    type: 'object',
    required: Object.keys(properties),
    properties,
  };
}

/**
 * Every schema the contract publishes, with its file name. With the canonical base these are the
 * committed files; with another base, the same documents with `$id` = that base + file name (what
 * a service configured with SCHEMA_BASE_URL serves at `/schemas/<file>`).
 */
export function contractSchemas(base: string = SCHEMA_ID_BASE): readonly ContractSchema[] {
  return [
    ...EVENT_TYPES.flatMap((type) =>
      EVENT_VERSIONS[type].map((version) => ({
        file: eventSchemaFile(type, version),
        schema: eventSchema(type, version, base),
      })),
    ),
    ...STATE_VERSIONS.map((version) => ({ file: stateSchemaFile(version), schema: stateSchema(version, base) })),
    { file: DEAD_LETTER_SCHEMA_FILE, schema: deadLetterSchema(base) },
    ...USAGE_VERSIONS.map((version) => ({ file: usageSchemaFile(version), schema: usageSchema(version, base) })),
  ];
}
