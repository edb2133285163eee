import { KeyType } from '@app/contracts';

/** Where in the log the last event that changed a key sits; replays skip anything at or before it. */
export interface AppliedPosition {
  readonly partition: number;
  readonly offset: number;
}

/** One key's current state, as the projector folds it from the log (collection `api_keys`). */
export interface ApiKeyDocument {
  /**
   * The key id as a decimal string. FerretDB (SQLite) looks documents up by _id through its
   * index only for string ids; a numeric _id scans the whole collection (10x slower at 1,000
   * keys, measured). `id` keeps the number for the API and for ordering.
   */
  readonly _id: string;
  readonly id: number;
  readonly key_type: KeyType;
  readonly name: string;
  readonly key_hash: string;
  readonly allowed_origins: readonly string[];
  readonly allowed_assistants: readonly string[];
  readonly transient_assistant: boolean;
  readonly user_id: number;
  readonly user_email: string;
  readonly created_at: Date;
  readonly updated_at: Date;
  /** Set once the key is revoked; revoked keys stay as tombstones so late events stay no-ops. */
  readonly deleted_at: Date | null;
  readonly applied: AppliedPosition;
}
