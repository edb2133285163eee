import { ApiKeyCreatedData, ApiKeyState } from '@app/domain';

// Keys and creations as the service makes them today, for the specs that need one as data (not
// through the domain's decider): one place to grow when a key grows a field.

/** An ApiKeyCreated's data with every field at its default, and the given ones. */
export const createdData = (overrides: Partial<ApiKeyCreatedData> = {}): ApiKeyCreatedData => ({
  key_type: 'private',
  name: 'k',
  key_hash: 'a'.repeat(64),
  allowed_origins: [],
  allowed_assistants: [],
  expires_at: null,
  enabled: true,
  meta: {},
  transient_assistant: false,
  user_email: 'u@example.com',
  ...overrides,
});

/** A live key's whole state, with the given fields. */
export const keyState = (overrides: Partial<ApiKeyState> = {}): ApiKeyState => {
  const { key_type, key_hash, transient_assistant, user_email, ...fields } = createdData();
  return {
    id: 42,
    key_type,
    ...fields,
    key_hash,
    previous_key_hash: null,
    previous_key_expires_at: null,
    transient_assistant,
    user_id: 7,
    user_email,
    created_at: '2024-01-10T08:00:00.000Z',
    updated_at: '2024-01-15T11:00:00.000Z',
    deleted_at: null,
    version: 2,
    ...overrides,
  };
};
