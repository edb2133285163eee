import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_ROLLED,
  API_KEY_UPDATED,
  ApiKeyChanges,
  ApiKeyEvent,
  EventConditions,
  FieldRules,
  KEY_TYPES,
  KeyType,
  isWholeSecondUtc,
  pickChanges,
  wireChangesProblem,
} from '@app/domain';
import { Check, isId, isIsoTime, isObject, decodeFieldValues, parseObject } from './decoding';
import { KEY_HASH_PATTERN, SCHEMA_ID_BASE, eventSchemaId } from './schemas';
import { EVENT_VERSIONS, EventType, carriesActor, carriesConditions, eventFields, rulesOf } from './versions';

/** A Kafka record as the producer sends it and the consumer receives it, client-agnostic. */
export interface WireRecord {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

export const CE_SOURCE = '/api-keys-service';

/**
 * CloudEvents binary-mode headers plus the JSON body; the message key is the key id. ce_dataschema
 * names the `$id` of the event's JSON Schema under `schemaBase` (the service passes its
 * SCHEMA_BASE_URL, where it serves libs/contracts/schemas/); records written before it existed
 * lack it, so readers must not require it.
 */
export function encodeEvent(event: ApiKeyEvent, schemaBase: string = SCHEMA_ID_BASE): WireRecord {
  return {
    key: String(event.api_key_id),
    value: JSON.stringify(event),
    headers: {
      ce_specversion: '1.0',
      ce_id: event.event_id,
      ce_type: event.event_type,
      ce_source: CE_SOURCE,
      ce_time: event.occurred_at,
      ce_subject: String(event.api_key_id),
      ce_dataschema: eventSchemaId(event.event_type, event.schema_version, schemaBase),
      'content-type': 'application/json',
    },
  };
}

/** Why a record cannot be projected; such records go to the dead-letter topic. */
export class UnreadableEventError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableEventError';
  }
}

const check: Check = (condition, reason) => {
  if (!condition) throw new UnreadableEventError(reason);
};

const KEY_HASH = new RegExp(KEY_HASH_PATTERN);

/** The fields an ApiKeyCreated's data holds besides the updatable ones its version carries. */
const CREATED_DATA_FIELDS = ['key_type', 'key_hash', 'transient_assistant', 'user_email'];

/** A field its version's schema does not define makes a record malformed: no reader may guess at it. */
const CREATED_FIELDS = new WeakMap<FieldRules, ReadonlySet<string>>();

/** What a creation's `data` may hold with these updatable fields (made once per version's rules). */
function createdDataFields(fields: FieldRules): ReadonlySet<string> {
  let allowed = CREATED_FIELDS.get(fields);
  if (!allowed) {
    allowed = new Set([...CREATED_DATA_FIELDS, ...Object.keys(fields)]);
    CREATED_FIELDS.set(fields, allowed);
  }
  return allowed;
}

function checkOnly(data: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  const extra = Object.keys(data).find((field) => !allowed.has(field));
  check(extra === undefined, `${where}${extra} is not a field of this schema_version`);
}

function decodeChanges(raw: unknown, fields: FieldRules): ApiKeyChanges {
  check(isObject(raw), 'data.changes must be an object');
  const problem = wireChangesProblem(raw, fields);
  check(problem === null, `data.changes${problem} of this schema_version`);
  return pickChanges(raw, fields);
}

/** The conditions a version-2 event carries (each optional, but never of the wrong type). */
function decodeConditions(body: Record<string, unknown>): EventConditions {
  const { expected_version, idempotency_key, request_fingerprint, idempotency_expires_at } = body;
  check(expected_version === undefined || isVersion(expected_version), 'expected_version must be a version number');
  check(idempotency_key === undefined || typeof idempotency_key === 'string', 'idempotency_key must be a string');
  check(
    request_fingerprint === undefined || typeof request_fingerprint === 'string',
    'request_fingerprint must be a string',
  );
  check(
    idempotency_expires_at === undefined || isIsoTime(idempotency_expires_at),
    'idempotency_expires_at must be an ISO 8601 time',
  );
  check(
    (idempotency_key === undefined) === (request_fingerprint === undefined) &&
      (idempotency_key === undefined) === (idempotency_expires_at === undefined),
    'idempotency_key, request_fingerprint and idempotency_expires_at go together',
  );
  return {
    ...(expected_version !== undefined && { expected_version: expected_version }),
    ...(idempotency_key !== undefined && {
      idempotency_key: idempotency_key,
      request_fingerprint: request_fingerprint,
      idempotency_expires_at: idempotency_expires_at,
    }),
  };
}

function withoutExpectedVersion<T extends { expected_version?: number }>(base: T): Omit<T, 'expected_version'> {
  const { expected_version: _ignored, ...rest } = base;
  return rest;
}

const isVersion = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Parses and checks a record's value. Anything the projector would have to guess about
 * (bad JSON, unknown event_type or schema_version, missing fields, a field its version does not
 * define in `data`) is rejected here, so the projector only ever folds well-formed events. Older
 * versions are read into the current shape: a field they do not carry has its initial value.
 */
export function decodeEvent(value: Buffer | string | null, key?: string | null): ApiKeyEvent {
  const body = parseObject(value, check);
  const type = body.event_type as EventType;
  check(Object.prototype.hasOwnProperty.call(EVENT_VERSIONS, type), `unknown event_type ${JSON.stringify(type)}`);
  const version = body.schema_version as number;
  check(EVENT_VERSIONS[type].includes(version), `unknown schema_version ${JSON.stringify(version)} of ${type}`);
  check(typeof body.event_id === 'string' && body.event_id.length > 0, 'event_id missing');
  check(isId(body.api_key_id), 'api_key_id must be a positive integer');
  check(isId(body.user_id), 'user_id must be a positive integer');
  check(isIsoTime(body.occurred_at), 'occurred_at must be an ISO 8601 time');
  check(typeof body.correlation_id === 'string', 'correlation_id missing');
  check(isObject(body.data), 'data must be an object');
  if (key !== undefined && key !== null) {
    check(key === String(body.api_key_id), 'message key does not match api_key_id');
  }
  const actor = carriesActor(type, version);
  if (actor) check(body.actor_key_id === null || isId(body.actor_key_id), 'actor_key_id must be null or a key id');
  const base = {
    event_id: body.event_id,
    schema_version: version,
    ...(carriesConditions(type, version) && decodeConditions(body)),
    api_key_id: body.api_key_id,
    user_id: body.user_id,
    ...(actor && { actor_key_id: body.actor_key_id as number | null }),
    occurred_at: body.occurred_at,
    correlation_id: body.correlation_id,
  };
  const data = body.data;
  const fields = rulesOf(eventFields(version));
  switch (type) {
    case API_KEY_CREATED:
      checkOnly(data, createdDataFields(fields), 'data.');
      check(KEY_TYPES.includes(data.key_type as KeyType), 'data.key_type must be private or public');
      check(
        typeof data.key_hash === 'string' && KEY_HASH.test(data.key_hash),
        'data.key_hash must be a SHA-256 hex digest',
      );
      check(typeof data.transient_assistant === 'boolean', 'data.transient_assistant must be a boolean');
      check(typeof data.user_email === 'string', 'data.user_email must be a string');
      return {
        // A creation expects no version (If-Match names a key that exists): not in its schema, so
        // like any envelope field a schema does not define, it is ignored.
        ...withoutExpectedVersion(base),
        event_type: API_KEY_CREATED,
        data: {
          key_type: data.key_type as KeyType,
          ...decodeFieldValues(data, check, 'data.', fields),
          key_hash: data.key_hash,
          transient_assistant: data.transient_assistant,
          user_email: data.user_email,
        },
      };
    case API_KEY_UPDATED:
      checkOnly(data, new Set(['changes']), 'data.');
      return { ...base, event_type: API_KEY_UPDATED, data: { changes: decodeChanges(data.changes, fields) } };
    case API_KEY_DELETED:
      checkOnly(data, new Set(), 'data.');
      return { ...base, event_type: API_KEY_DELETED, data: {} };
    case API_KEY_ROLLED: {
      checkOnly(data, new Set(['key_hash', 'previous_key_hash', 'previous_key_expires_at']), 'data.');
      const { key_hash, previous_key_hash, previous_key_expires_at } = data;
      check(typeof key_hash === 'string' && KEY_HASH.test(key_hash), 'data.key_hash must be a SHA-256 hex digest');
      check(
        typeof previous_key_hash === 'string' && KEY_HASH.test(previous_key_hash),
        'data.previous_key_hash must be a SHA-256 hex digest',
      );
      check(
        previous_key_expires_at === null || isWholeSecondUtc(previous_key_expires_at),
        'data.previous_key_expires_at must be null or a UTC time to the second',
      );
      return {
        ...base,
        event_type: API_KEY_ROLLED,
        data: { key_hash, previous_key_hash, previous_key_expires_at: previous_key_expires_at },
      };
    }
  }
}
