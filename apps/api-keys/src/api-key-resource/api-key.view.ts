import { ApiKeyState, FieldValues, KeyType, completeFields } from '@app/domain';

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
} & FieldValues;

/** ISO 8601 UTC to the second, as in the reference (`2024-01-15T11:00:00Z`). */
export const formatTime = (time: string) => new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `keyValue` is the raw secret and is passed only by the create use case. */
export function toView(state: ApiKeyState, keyValue: string | null = null): ApiKeyView {
  // Every field a user sets, in the field list's order; the reference puts key_value after name.
  const { name, ...otherFields } = completeFields(state);
  return {
    id: state.id,
    key_type: state.key_type,
    name,
    key_value: keyValue,
    ...otherFields,
    transient_assistant: state.transient_assistant,
    user_id: state.user_id,
    user_email: state.user_email,
    created_at: formatTime(state.created_at),
    updated_at: formatTime(state.updated_at),
  };
}
