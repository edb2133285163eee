import { ApiKeyState, FieldValues, KeyType, completeFields, previousSecretWorks } from '@app/domain';

/** The API key resource exactly as the reference shows it, field order included. */
export type ApiKeyView = {
  readonly id: number;
  readonly key_type: KeyType;
  readonly key_value: string | null;
  readonly transient_assistant: boolean;
  readonly user_id: number;
  readonly user_email: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** While a rolled key's previous secret still works: when it stops; otherwise null. */
  readonly previous_key_expires_at: string | null;
} & FieldValues;

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * ISO 8601 UTC to the second, as in the reference (`2024-01-15T11:00:00Z`). Stored times are
 * already `toISOString()`'s form, so cutting the milliseconds off is enough; anything else is read
 * as a date first. (It runs on every verification: the cut is about a tenth of the parse.)
 */
export const formatTime = (time: string) =>
  CANONICAL.test(time) ? `${time.slice(0, 19)}Z` : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * `keyValue` is the raw secret and is passed only by the answers that make one (create, roll).
 * `now` judges a rolled key's grace, as authentication does (the domain's previousSecretWorks).
 */
export function toView(state: ApiKeyState, keyValue: string | null = null, now: number = Date.now()): ApiKeyView {
  // The reference's fields in the reference's order (key_value after name), so that its answer
  // stays a prefix of ours; every field added since follows, in the field list's order.
  const { name, allowed_origins, allowed_assistants, ...addedSince } = completeFields(state);
  return {
    id: state.id,
    key_type: state.key_type,
    name,
    key_value: keyValue,
    allowed_origins,
    allowed_assistants,
    transient_assistant: state.transient_assistant,
    user_id: state.user_id,
    user_email: state.user_email,
    created_at: formatTime(state.created_at),
    updated_at: formatTime(state.updated_at),
    ...addedSince,
    previous_key_expires_at: previousSecretWorks(state, now) ? state.previous_key_expires_at : null,
  };
}
