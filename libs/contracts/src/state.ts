// The state topic's wire form. The topic is compacted and keyed by key id: its latest record per key
// is that key's current state, so a consumer that reads it from the start holds every live key
// without replaying the events or folding them. A deleted key is published once with deleted_at
// set, then as a tombstone (no value), so that compaction eventually forgets it.
import { ApiKeyState, KEY_TYPES, KeyType, UPDATABLE_FIELDS, UpdatableField } from '@app/domain';
import { Check, isId, isIsoTime, isObject, decodeFieldValues, parseObject } from './decoding';
import { API_KEY_STATE, KEY_HASH_PATTERN, SCHEMA_ID_BASE, STATE_SCHEMA_FILE, STATE_SCHEMA_VERSION } from './schemas';
import { STATE_VERSIONS, rulesOf, stateFields } from './versions';
import { CE_SOURCE } from './wire';

/** Where in the events topic the last event applied to a key is. */
export interface AppliedPosition {
  readonly partition: number;
  readonly offset: number;
}

/** A state-topic record: a tombstone has no value. */
export interface StateWireRecord {
  readonly key: string;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** What a state-topic record says about its key. */
export type DecodedState =
  | { readonly kind: 'state'; readonly id: number; readonly state: ApiKeyState; readonly applied: AppliedPosition }
  | { readonly kind: 'tombstone'; readonly id: number };

/** A state record that cannot be read: not JSON, an unknown schema_version, a missing field... */
export class UnreadableStateError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableStateError';
  }
}

const check: Check = (condition, reason) => {
  if (!condition) throw new UnreadableStateError(reason);
};

const KEY_HASH = new RegExp(KEY_HASH_PATTERN);
const FIELDS = Object.keys(UPDATABLE_FIELDS) as UpdatableField[];
const isOffset = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * A key's current state as its state-topic record. The record depends only on the state, the
 * position and the schema base (the service's SCHEMA_BASE_URL, in ce_dataschema), never on the
 * clock, so a replay with the same configuration republishes identical records.
 */
export function encodeState(
  state: ApiKeyState,
  applied: AppliedPosition,
  schemaBase: string = SCHEMA_ID_BASE,
): StateWireRecord {
  const fields = Object.fromEntries(FIELDS.map((field) => [field, state[field]]));
  const value = {
    schema_version: STATE_SCHEMA_VERSION,
    id: state.id,
    key_type: state.key_type,
    ...fields,
    transient_assistant: state.transient_assistant,
    user_id: state.user_id,
    user_email: state.user_email,
    key_hash: state.key_hash,
    previous_key_hash: state.previous_key_hash,
    previous_key_expires_at: state.previous_key_expires_at,
    created_at: state.created_at,
    updated_at: state.updated_at,
    deleted_at: state.deleted_at,
    version: state.version,
    applied: { partition: applied.partition, offset: applied.offset },
  };
  const id = String(state.id);
  return {
    key: id,
    value: JSON.stringify(value),
    headers: {
      ce_specversion: '1.0',
      ce_id: `${id}:${state.version}`,
      ce_type: API_KEY_STATE,
      ce_source: CE_SOURCE,
      ce_time: state.updated_at,
      ce_subject: id,
      ce_dataschema: `${schemaBase}${STATE_SCHEMA_FILE}`,
      'content-type': 'application/json',
    },
  };
}

/**
 * The record that makes compaction forget a deleted key: no value. Its headers make it a
 * CloudEvent without data (the CloudEvents Kafka binding's form of a tombstone).
 */
export function stateTombstone(id: number): StateWireRecord {
  const key = String(id);
  return {
    key,
    value: null,
    headers: {
      ce_specversion: '1.0',
      ce_id: `${key}:tombstone`,
      ce_type: API_KEY_STATE,
      ce_source: CE_SOURCE,
      ce_subject: key,
    },
  };
}

const keyIdOf = (key: Buffer | string | null): number => {
  const text = key === null ? '' : key.toString();
  check(/^[1-9][0-9]*$/.test(text) && Number.isSafeInteger(Number(text)), 'message key is not a key id');
  return Number(text);
};

/**
 * Reads a state-topic record. No value is a tombstone: forget the key. Unknown properties are
 * ignored; an unknown schema_version or a malformed value throws UnreadableStateError.
 */
export function decodeState(value: Buffer | string | null, key: Buffer | string | null): DecodedState {
  const id = keyIdOf(key);
  if (value === null) return { kind: 'tombstone', id };
  const body = parseObject(value, check);
  const version = body.schema_version;
  check((STATE_VERSIONS as readonly unknown[]).includes(version), `unknown schema_version ${JSON.stringify(version)}`);
  const rolled = version !== 1;
  if (rolled) {
    check(
      body.previous_key_hash === null ||
        (typeof body.previous_key_hash === 'string' && KEY_HASH.test(body.previous_key_hash)),
      'previous_key_hash must be null or a SHA-256 hex digest',
    );
    check(
      body.previous_key_expires_at === null || isIsoTime(body.previous_key_expires_at),
      'previous_key_expires_at must be null or an ISO 8601 time',
    );
  }
  check(body.id === id, 'message key does not match id');
  check(KEY_TYPES.includes(body.key_type as KeyType), 'key_type must be private or public');
  check(typeof body.transient_assistant === 'boolean', 'transient_assistant must be a boolean');
  check(isId(body.user_id), 'user_id must be a positive integer');
  check(typeof body.user_email === 'string', 'user_email must be a string');
  check(typeof body.key_hash === 'string' && KEY_HASH.test(body.key_hash), 'key_hash must be a SHA-256 hex digest');
  check(isIsoTime(body.created_at), 'created_at must be an ISO 8601 time');
  check(isIsoTime(body.updated_at), 'updated_at must be an ISO 8601 time');
  check(body.deleted_at === null || isIsoTime(body.deleted_at), 'deleted_at must be null or an ISO 8601 time');
  check(isId(body.version), 'version must be a positive integer');
  const applied = body.applied;
  check(
    isObject(applied) && isOffset(applied.partition) && isOffset(applied.offset),
    'applied must have a partition and an offset',
  );
  return {
    kind: 'state',
    id,
    state: {
      id,
      key_type: body.key_type as KeyType,
      ...decodeFieldValues(body, check, '', rulesOf(stateFields(version as number))),
      transient_assistant: body.transient_assistant,
      user_id: body.user_id,
      user_email: body.user_email,
      key_hash: body.key_hash,
      previous_key_hash: rolled ? (body.previous_key_hash as string | null) : null,
      previous_key_expires_at: rolled ? (body.previous_key_expires_at as string | null) : null,
      created_at: body.created_at,
      updated_at: body.updated_at,
      deleted_at: body.deleted_at,
      version: body.version,
    },
    applied: { partition: applied.partition, offset: applied.offset },
  };
}
