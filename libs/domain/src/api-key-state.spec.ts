import { ApiKeyState, evolve, isLiveKeyOf } from './api-key-state';
import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_UPDATED,
  ApiKeyCreated,
  ApiKeyDeleted,
  ApiKeyUpdated,
} from './events';

const base = { schema_version: 1, api_key_id: 7, user_id: 3, correlation_id: 'c' };
const created: ApiKeyCreated = {
  ...base,
  event_id: 'e1',
  event_type: API_KEY_CREATED,
  occurred_at: '2024-01-10T08:00:00.000Z',
  data: {
    key_type: 'private',
    name: 'Production',
    key_hash: 'a'.repeat(64),
    allowed_origins: ['https://a.example'],
    allowed_assistants: ['1'],
    expires_at: null,
    enabled: true,
    meta: {},
    transient_assistant: false,
    user_email: 'u@example.com',
  },
};
const updated = (changes: ApiKeyUpdated['data']['changes'], at = '2024-01-15T11:00:00.000Z', userId = 3) =>
  ({
    ...base,
    user_id: userId,
    event_id: 'e2',
    event_type: API_KEY_UPDATED,
    occurred_at: at,
    data: { changes },
  }) as const;
const deleted: ApiKeyDeleted = {
  ...base,
  event_id: 'e3',
  event_type: API_KEY_DELETED,
  occurred_at: '2024-01-20T00:00:00.000Z',
  data: {},
};
const createdKey = () => evolve(null, created) as ApiKeyState;

describe('evolve', () => {
  it('creates the whole state from ApiKeyCreated, timed by the event, at version 1', () => {
    expect(createdKey()).toEqual({
      id: 7,
      key_type: 'private',
      name: 'Production',
      allowed_origins: ['https://a.example'],
      allowed_assistants: ['1'],
      expires_at: null,
      enabled: true,
      meta: {},
      key_hash: 'a'.repeat(64),
      previous_key_hash: null,
      previous_key_expires_at: null,
      transient_assistant: false,
      user_id: 3,
      user_email: 'u@example.com',
      created_at: '2024-01-10T08:00:00.000Z',
      updated_at: '2024-01-10T08:00:00.000Z',
      deleted_at: null,
      version: 1,
    });
  });

  it('changes only the fields an update names, replacing arrays whole, and counts the version', () => {
    const next = evolve(createdKey(), updated({ allowed_assistants: ['2', '3'] }));
    expect(next).toMatchObject({
      name: 'Production',
      allowed_origins: ['https://a.example'],
      allowed_assistants: ['2', '3'],
      expires_at: null,
      enabled: true,
      meta: {},
    });
    expect(next?.updated_at).toBe('2024-01-15T11:00:00.000Z');
    expect(next?.version).toBe(2);
  });

  it('shares no array with the events it folded', () => {
    const event = updated({ allowed_origins: ['https://b.example'] });
    const next = evolve(createdKey(), event) as ApiKeyState;
    expect(next.allowed_origins).toEqual(event.data.changes.allowed_origins);
    expect(next.allowed_origins).not.toBe(event.data.changes.allowed_origins);
    expect(createdKey().allowed_assistants).not.toBe(created.data.allowed_assistants);
  });

  it('gives the same state whenever the same events are folded in the same order', () => {
    const events = [updated({ name: 'A' }), updated({ allowed_origins: [] }), updated({ name: 'B' })];
    const run = () => events.reduce<ApiKeyState | null>(evolve, createdKey());
    expect(run()).toEqual(run());
    expect(run()?.version).toBe(4);
  });

  it('marks a revoked key with a tombstone and ignores later updates and deletes', () => {
    const gone = evolve(createdKey(), deleted);
    expect(gone?.deleted_at).toBe('2024-01-20T00:00:00.000Z');
    expect(evolve(gone, updated({ name: 'Late' }))).toBe(gone);
    expect(evolve(gone, deleted)).toBe(gone);
  });

  it('ignores updates and deletes of a key it has never seen', () => {
    expect(evolve(null, updated({ name: 'x' }))).toBeNull();
    expect(evolve(null, deleted)).toBeNull();
  });

  it('lets the first creation of an id win over a later one', () => {
    const first = createdKey();
    expect(evolve(first, { ...created, data: { ...created.data, name: 'Second' } })).toBe(first);
  });

  it('ignores changes signed by a user who does not own the key', () => {
    const key = createdKey();
    expect(evolve(key, updated({ name: 'Intruder' }, undefined, 99))).toBe(key);
    expect(evolve(key, { ...deleted, user_id: 99 })).toBe(key);
  });
});

describe('isLiveKeyOf', () => {
  it('holds for the owner of a live key only', () => {
    const key = createdKey();
    expect(isLiveKeyOf(key, 3)).toBe(true);
    expect(isLiveKeyOf(key, 4)).toBe(false);
    expect(isLiveKeyOf(evolve(key, deleted), 3)).toBe(false);
    expect(isLiveKeyOf(null, 3)).toBe(false);
  });
});
