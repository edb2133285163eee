import { Schema } from 'mongoose';
import { ApiKeyState } from '@app/domain';
import { ApiKeyDocument, ProjectedKey, stateOf } from './api-key.document';

// Every read on a request path and in the projector is by `_id` alone: the one index FerretDB and
// MongoDB both always use (FerretDB pushes nothing else down to SQLite: any other filter, an $in
// included, scans the collection). So each read model is shaped by the one query that reads it,
// and every `_id` is a string. The projector writes all of them, and a replay rebuilds them.
//
// The constants are mongoose model names (injection tokens); the collection names, which backups
// and dashboards depend on, are spelled out in each schema.

/** A key by id (`api_keys`). The projector writes whole documents built from the domain state. */
export const API_KEYS = 'ApiKey';
export const apiKeySchema = new Schema<ApiKeyDocument>(
  { _id: { type: String, required: true } },
  { collection: 'api_keys', versionKey: false, _id: false, strict: false },
);

/** A key's id by the SHA-256 of its secret (`api_key_hashes`); written once, at creation. */
export const KEY_HASHES = 'ApiKeyHash';
export interface KeyHashDocument {
  readonly _id: string;
  readonly key_id: number;
}
export const keyHashSchema = new Schema<KeyHashDocument>(
  { _id: String, key_id: Number },
  { collection: 'api_key_hashes', versionKey: false, _id: false },
);

/**
 * A user's live keys in one partition of the events topic (`user_keys`, `_id` = `<user>:<partition>`).
 * One document per partition, so each has a single writer: the projector of that partition. A
 * user's list reads one document per partition.
 */
export const USER_KEYS = 'UserKeys';
export interface UserKeysDocument {
  readonly _id: string;
  readonly user_id: number;
  readonly partition: number;
  /** Ascending. */
  readonly key_ids: readonly number[];
}
export const userKeysSchema = new Schema<UserKeysDocument>(
  { _id: String, user_id: Number, partition: Number, key_ids: [Number] },
  { collection: 'user_keys', versionKey: false, _id: false },
);
export const userKeysId = (userId: number, partition: number) => `${userId}:${partition}`;

/** A user's id by their email (`user_emails`), as the keys' creation events name it. */
export const USER_EMAILS = 'UserEmail';
export interface UserEmailDocument {
  readonly _id: string;
  readonly user_id: number;
}
export const userEmailSchema = new Schema<UserEmailDocument>(
  { _id: String, user_id: Number },
  { collection: 'user_emails', versionKey: false, _id: false },
);

/** How far the read model has applied each partition of the events topic. */
export const CHECKPOINTS = 'ProjectionCheckpoint';
export interface CheckpointDocument {
  readonly _id: string;
  readonly topic: string;
  readonly partition: number;
  /** Offset of the last record applied (not the next one to read). */
  readonly offset: number;
  /** The largest key and user ids created in this partition: where id allocation resumes after a replay. */
  readonly max_key_id: number;
  readonly max_user_id: number;
  /**
   * Where the state topic stood after recent batches (projector/state-marks.ts): what write receipts
   * (X-State-Position) are read from. Not a fold of the log but where this deployment published:
   * absent after a rebuild, which publishes nothing, and left out when read models are compared.
   */
  readonly state_marks?: string;
}
export const checkpointSchema = new Schema<CheckpointDocument>(
  {
    _id: String,
    topic: String,
    partition: Number,
    offset: Number,
    max_key_id: Number,
    max_user_id: Number,
    state_marks: String,
  },
  { collection: 'projection_checkpoints', versionKey: false, _id: false },
);
export const checkpointId = (topic: string, partition: number) => `${topic}:${partition}`;

// Allocation state, not read models: written by the writers before their events exist, and not
// rebuilt by a replay (allocation then resumes above the checkpoints' largest ids).

/** A claimed block of ids: inserting `{_id: "<block>"}` succeeds for exactly one claimer. */
export const API_KEY_ID_BLOCKS = 'ApiKeyIdBlock';
export const USER_ID_BLOCKS = 'UserIdBlock';
export interface IdBlockDocument {
  readonly _id: string;
}
const idBlockSchema = () => new Schema<IdBlockDocument>({ _id: String }, { versionKey: false, _id: false });
export const apiKeyIdBlockSchema = idBlockSchema().set('collection', 'api_key_id_blocks');
export const userIdBlockSchema = idBlockSchema().set('collection', 'user_id_blocks');

/** The user id an email was given before any of its keys reached the log (`user_email_claims`). */
export const USER_EMAIL_CLAIMS = 'UserEmailClaim';
export const userEmailClaimSchema = new Schema<UserEmailDocument>(
  { _id: String, user_id: Number },
  { collection: 'user_email_claims', versionKey: false, _id: false },
);

/**
 * One applied event of a key (`key_events`, `_id` = `<key id>:<version>`): its history, read a
 * page of versions at a time. Written once, by the projector of the key's partition.
 */
export const KEY_EVENTS = 'KeyEvent';
export interface KeyEventDocument {
  readonly _id: string;
  readonly key_id: number;
  readonly version: number;
  readonly event_id: string;
  readonly event_type: string;
  readonly occurred_at: string;
  readonly correlation_id: string;
  /** The key that made the request (null: a bootstrap); absent for events that did not record it. */
  readonly actor_key_id?: number | null;
  /** For updates: exactly the fields the request set. */
  readonly changes?: Readonly<Record<string, unknown>>;
  /**
   * The key as this event left it (evolve's result), as JSON text: `?version=` and `?at=` read it
   * by `_id` and parse it. Text, because the store's cost grows with the fields it is given, and
   * this copy of a key's state is only ever read whole (docs/benchmarks.md).
   */
  readonly state: string;
}

/**
 * A history entry as the fold makes it: its state is the projected key (which may carry what the
 * projector keeps beside the state); stored as a KeyEventDocument.
 */
export type KeyEvent = Omit<KeyEventDocument, 'state'> & { readonly state: ProjectedKey };

/** A history entry as stored: the key's state alone, as JSON text. */
export const toStoredEntry = (entry: KeyEvent): KeyEventDocument => ({
  ...entry,
  state: JSON.stringify(stateOf(entry.state)),
});

/** The key as a history entry says its event left it (null: an entry written before it said so). */
export function stateOfEntry(entry: KeyEventDocument): ApiKeyState | null {
  // Entries written before the state was kept as text hold it as an object.
  const state = entry.state as string | ApiKeyState | undefined;
  if (state === undefined) return null;
  return typeof state === 'string' ? (JSON.parse(state) as ApiKeyState) : state;
}
export const keyEventSchema = new Schema<KeyEventDocument>(
  { _id: String },
  { collection: 'key_events', versionKey: false, _id: false, strict: false },
);
export const keyEventId = (keyId: number, version: number) => `${keyId}:${version}`;

/**
 * What the fold made of an event: applied, or ignored and why. `key_exists`: a creation of an id
 * the log has already; `idempotent_retry`: a later attempt of a request whose Idempotency-Key an
 * earlier event of the same user holds (its answer is that event's record).
 */
export type EventOutcome = 'applied' | 'key_not_found' | 'version_mismatch' | 'key_exists' | 'idempotent_retry';

/**
 * What became of an event (`event_outcomes`, `_id` = the event id): how a writer learns what the
 * log decided for its own event, whichever instance projected it. Written for every ignored event
 * but a duplicate, and for an applied one only when its key's document has no room left to name it
 * (`AppliedEvents`): no document and a key naming the event mean "applied". Written once, by the
 * projector of the event's partition, before its checkpoint passes the event.
 */
export const EVENT_OUTCOMES = 'EventOutcome';
export interface EventOutcomeDocument {
  readonly _id: string;
  readonly api_key_id: number;
  /** The record's offset in its partition (the key's): another record with this id is a duplicate. */
  readonly offset: number;
  readonly outcome: EventOutcome;
  /** The key's version once the event was folded: the one it made, or the one that stood (null: no key). */
  readonly version: number | null;
}
export const eventOutcomeSchema = new Schema<EventOutcomeDocument>(
  { _id: String, api_key_id: Number, offset: Number, outcome: String, version: Number },
  { collection: 'event_outcomes', versionKey: false, _id: false },
);

/**
 * What became of the first event a user sent with an Idempotency-Key (`idempotency_records`,
 * `_id` = `<user id>:<idempotency key>`), so a retry is answered as that first attempt was.
 * Written by the projector of the event's key, whose partition every retry also goes to.
 */
export const IDEMPOTENCY_RECORDS = 'IdempotencyRecord';
export interface IdempotencyRecordDocument {
  readonly _id: string;
  readonly user_id: number;
  readonly request_fingerprint: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly api_key_id: number;
  /** Whether the fold applied the event, or why not. */
  readonly outcome: Exclude<EventOutcome, 'idempotent_retry'>;
  /** The key as that event left it (null when there was none). */
  readonly key: ApiKeyState | null;
  readonly expires_at: string;
  /**
   * The event's offset in its (the key's) events partition: a retry's receipt (X-State-Position) is
   * the state position the first attempt's batch left. Absent on records written before it.
   */
  readonly offset?: number;
}
export const idempotencyRecordSchema = new Schema<IdempotencyRecordDocument>(
  { _id: String },
  { collection: 'idempotency_records', versionKey: false, _id: false, strict: false },
);
/**
 * Idempotency records are per key: all of a key's events are in one partition, so "earlier" is the
 * log's order and one projector writes the record. (A create's attempts all name one key: the
 * claim below gives its Idempotency-Key the key id.)
 */
export const idempotencyId = (userId: number, keyId: number, key: string) => `${userId}:${keyId}:${key}`;
/** The claim of an Idempotency-Key by a user's first request with it, whichever key it names. */
export const idempotencyClaimId = (userId: number, key: string) => `${userId}:${key}`;

/**
 * Which request first used a user's Idempotency-Key, and on which key (for a create: the key id it
 * was given, so every retry names the same key). Written by the writer before its event exists: a
 * reuse of the key for another request is refused at once, on any key.
 */
export const IDEMPOTENCY_CLAIMS = 'IdempotencyClaim';
export interface IdempotencyClaimDocument {
  readonly _id: string;
  readonly key_id: number;
  readonly request_fingerprint: string;
  readonly expires_at: string;
}
export const idempotencyClaimSchema = new Schema<IdempotencyClaimDocument>(
  { _id: String, key_id: Number, request_fingerprint: String, expires_at: String },
  { collection: 'idempotency_claims', versionKey: false, _id: false },
);

/** The read-model connection's options (the bench's CRUD baseline connects the same way). */
export const CONNECTION_OPTIONS = {
  // Fail fast instead of queueing operations while the server is away: a 503 in seconds.
  bufferCommands: false,
  serverSelectionTimeoutMS: 2000,
  connectTimeoutMS: 2000,
  // Notice a vanished server within seconds even while idle (see EventRecorder).
  heartbeatFrequencyMS: 2000,
} as const;

/** The collections ApiKeysReadModel reads and writes (the CRUD baseline registers the same). */
export const READ_MODELS = [
  { name: API_KEYS, schema: apiKeySchema },
  { name: KEY_HASHES, schema: keyHashSchema },
  { name: USER_KEYS, schema: userKeysSchema },
  { name: USER_EMAILS, schema: userEmailSchema },
  { name: CHECKPOINTS, schema: checkpointSchema },
  { name: KEY_EVENTS, schema: keyEventSchema },
  { name: IDEMPOTENCY_RECORDS, schema: idempotencyRecordSchema },
  { name: IDEMPOTENCY_CLAIMS, schema: idempotencyClaimSchema },
  { name: EVENT_OUTCOMES, schema: eventOutcomeSchema },
];
