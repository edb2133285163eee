import { KeyType } from '@app/contracts';
import { ApiKeyDocument } from '../read-model/api-key.document';

/** The API key resource exactly as the reference shows it, field order included. */
export interface ApiKeyView {
  readonly id: number;
  readonly key_type: KeyType;
  readonly name: string;
  readonly key_value: string | null;
  readonly allowed_origins: readonly string[];
  readonly allowed_assistants: readonly string[];
  readonly transient_assistant: boolean;
  readonly user_id: number;
  readonly user_email: string;
  readonly created_at: string;
  readonly updated_at: string;
}

/** ISO 8601 UTC to the second, as in the reference (`2024-01-15T11:00:00Z`). */
export const formatTime = (time: Date) => time.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `keyValue` is the raw secret and is passed only by the create use case. */
export function toView(doc: ApiKeyDocument, keyValue: string | null = null): ApiKeyView {
  return {
    id: doc.id,
    key_type: doc.key_type,
    name: doc.name,
    key_value: keyValue,
    allowed_origins: doc.allowed_origins,
    allowed_assistants: doc.allowed_assistants,
    transient_assistant: doc.transient_assistant,
    user_id: doc.user_id,
    user_email: doc.user_email,
    created_at: formatTime(new Date(doc.created_at)),
    updated_at: formatTime(new Date(doc.updated_at)),
  };
}
