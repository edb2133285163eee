// The public event contract (design.md, "Event contract"). Downstream services depend on these
// names and shapes: the wire name of an event is a stable string, never a class name, and any
// change to a payload means a new schema_version that the projector still knows how to read.

export const API_KEY_CREATED = 'ApiKeyCreated';
export const API_KEY_UPDATED = 'ApiKeyUpdated';
export const API_KEY_DELETED = 'ApiKeyDeleted';
export const SCHEMA_VERSION = 1;

export type KeyType = 'private' | 'public';

/** Fields a user may change after creation. */
export interface ApiKeyChanges {
  readonly name?: string;
  readonly allowed_origins?: readonly string[];
  readonly allowed_assistants?: readonly string[];
}

/** The whole state of a newly created key: enough to rebuild it from the log alone. */
export interface ApiKeyCreatedData {
  readonly key_type: KeyType;
  readonly name: string;
  /** SHA-256 (hex) of the secret; the secret itself is never published. */
  readonly key_hash: string;
  readonly allowed_origins: readonly string[];
  readonly allowed_assistants: readonly string[];
  readonly transient_assistant: boolean;
  readonly user_email: string;
}

export interface ApiKeyUpdatedData {
  /** Exactly the fields the request set, with their new values. */
  readonly changes: ApiKeyChanges;
}

export type ApiKeyDeletedData = Record<string, never>;

interface EnvelopeBase<T extends string, D> {
  readonly event_id: string;
  readonly event_type: T;
  readonly schema_version: number;
  readonly api_key_id: number;
  readonly user_id: number;
  /** ISO 8601 UTC. */
  readonly occurred_at: string;
  readonly correlation_id: string;
  readonly data: D;
}

export type ApiKeyCreated = EnvelopeBase<typeof API_KEY_CREATED, ApiKeyCreatedData>;
export type ApiKeyUpdated = EnvelopeBase<typeof API_KEY_UPDATED, ApiKeyUpdatedData>;
export type ApiKeyDeleted = EnvelopeBase<typeof API_KEY_DELETED, ApiKeyDeletedData>;
export type ApiKeyEvent = ApiKeyCreated | ApiKeyUpdated | ApiKeyDeleted;
