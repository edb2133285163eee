// The events of an API key's life. They are the public contract too (README, "Event contract"):
// downstream services depend on these names and shapes. The wire name of an event is
// a stable string, never a class name, and a change to a payload means a new schema_version that
// the projector still knows how to read (libs/contracts decodes them).
import { ApiKeyChanges, FieldValues } from './api-key-fields';

export const API_KEY_CREATED = 'ApiKeyCreated';
export const API_KEY_UPDATED = 'ApiKeyUpdated';
export const API_KEY_DELETED = 'ApiKeyDeleted';
export const API_KEY_ROLLED = 'ApiKeyRolled';
/** The schema of plain events. */
export const SCHEMA_VERSION = 1;
/**
 * The schema of events that carry conditions (an expected version, an idempotency key). Their
 * meaning differs (the fold may ignore them), so a reader of version 1 must not take them for
 * plain events: they are version 2, and every other event stays version 1.
 */
export const CONDITIONAL_SCHEMA_VERSION = 2;

/**
 * What the service writes now. ApiKeyCreated, ApiKeyUpdated and ApiKeyDeleted version 3: every
 * field of the key (expires_at, enabled and meta joined), the conditions when the request set any,
 * and `actor_key_id`. ApiKeyRolled starts at version 1 with the same envelope.
 */
export const CURRENT_SCHEMA_VERSION = 3;
export const ROLLED_SCHEMA_VERSION = 1;

export const KEY_TYPES = ['private', 'public'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export type { ApiKeyChanges };

/** The whole state of a newly created key: enough to rebuild it from the log alone. */
export interface ApiKeyCreatedData extends FieldValues {
  readonly key_type: KeyType;
  /** SHA-256 (hex) of the secret; the secret itself is never published. */
  readonly key_hash: string;
  readonly transient_assistant: boolean;
  readonly user_email: string;
}

export interface ApiKeyUpdatedData {
  /** Exactly the fields the request set, with their new values. */
  readonly changes: ApiKeyChanges;
}

export type ApiKeyDeletedData = Record<string, never>;

export interface ApiKeyRolledData {
  /** SHA-256 (hex) of the new secret. */
  readonly key_hash: string;
  /** SHA-256 (hex) of the secret it replaces. */
  readonly previous_key_hash: string;
  /** Until when the replaced secret still works (UTC, whole seconds); null: it stopped at once. */
  readonly previous_key_expires_at: string | null;
}

/** Who and when: what every event carries besides its type and data. */
export interface EventMetadata {
  readonly event_id: string;
  /** ISO 8601 UTC. */
  readonly occurred_at: string;
  readonly correlation_id: string;
}

/** What a request made its event conditional on (schema version 2). */
export interface EventConditions {
  /** Apply only if the key is at this version (If-Match). */
  readonly expected_version?: number;
  /** The caller's Idempotency-Key: a later event of the same user and key before `idempotency_expires_at` is a retry. */
  readonly idempotency_key?: string;
  /** SHA-256 of the request the key was first used for; a retry must match it. */
  readonly request_fingerprint?: string;
  readonly idempotency_expires_at?: string;
}

interface EnvelopeBase<T extends string, D> extends EventMetadata, EventConditions {
  readonly event_type: T;
  readonly schema_version: number;
  readonly api_key_id: number;
  readonly user_id: number;
  /** The key that made the request (null: an operator's bootstrap); absent before version 3. */
  readonly actor_key_id?: number | null;
  readonly data: D;
}

export type ApiKeyCreated = EnvelopeBase<typeof API_KEY_CREATED, ApiKeyCreatedData>;
export type ApiKeyUpdated = EnvelopeBase<typeof API_KEY_UPDATED, ApiKeyUpdatedData>;
export type ApiKeyDeleted = EnvelopeBase<typeof API_KEY_DELETED, ApiKeyDeletedData>;
export type ApiKeyRolled = EnvelopeBase<typeof API_KEY_ROLLED, ApiKeyRolledData>;
export type ApiKeyEvent = ApiKeyCreated | ApiKeyUpdated | ApiKeyDeleted | ApiKeyRolled;
