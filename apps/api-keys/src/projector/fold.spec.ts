import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_UPDATED,
  ApiKeyCreated,
  ApiKeyDeleted,
  ApiKeyUpdated,
} from '@app/contracts';
import { ApiKeyDocument } from '../read-model/api-key.document';
import { fold } from './fold';

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
    transient_assistant: false,
    user_email: 'u@example.com',
  },
};
const updated = (
  changes: ApiKeyUpdated['data']['changes'],
  at = '2024-01-15T11:00:00.000Z',
  userId = 3,
): ApiKeyUpdated => ({
  ...base,
  user_id: userId,
  event_id: 'e2',
  event_type: API_KEY_UPDATED,
  occurred_at: at,
  data: { changes },
});
const deleted: ApiKeyDeleted = {
  ...base,
  event_id: 'e3',
  event_type: API_KEY_DELETED,
  occurred_at: '2024-01-20T00:00:00.000Z',
  data: {},
};
const at = (offset: number) => ({ partition: 1, offset });

const createdDoc = () => fold(null, created, at(10)) as ApiKeyDocument;

describe('fold', () => {
  it('creates the whole state from ApiKeyCreated, timed by the event', () => {
    expect(createdDoc()).toEqual({
      _id: '7',
      id: 7,
      key_type: 'private',
      name: 'Production',
      key_hash: 'a'.repeat(64),
      allowed_origins: ['https://a.example'],
      allowed_assistants: ['1'],
      transient_assistant: false,
      user_id: 3,
      user_email: 'u@example.com',
      created_at: new Date('2024-01-10T08:00:00.000Z'),
      updated_at: new Date('2024-01-10T08:00:00.000Z'),
      deleted_at: null,
      applied: { partition: 1, offset: 10 },
    });
  });

  it('changes only the fields an update names, replacing arrays whole', () => {
    const next = fold(createdDoc(), updated({ allowed_assistants: ['2', '3'] }), at(11));
    expect(next).toMatchObject({
      name: 'Production',
      allowed_origins: ['https://a.example'],
      allowed_assistants: ['2', '3'],
    });
    expect(next?.updated_at).toEqual(new Date('2024-01-15T11:00:00.000Z'));
    expect(next?.applied).toEqual(at(11));
  });

  it('ignores an event at or before the applied position (redelivery changes nothing)', () => {
    const once = fold(createdDoc(), updated({ name: 'Once' }), at(11));
    expect(fold(once, updated({ name: 'Once' }), at(11))).toBe(once);
    expect(fold(once, updated({ name: 'Older' }), at(5))).toBe(once);
  });

  it('gives the same state whenever the same events are folded in the same order', () => {
    const run = () =>
      [updated({ name: 'A' }), updated({ allowed_origins: [] }), updated({ name: 'B' })].reduce(
        (doc, e, i) => fold(doc, e, at(11 + i)),
        createdDoc() as ApiKeyDocument | null,
      );
    expect(run()).toEqual(run());
  });

  it('marks a deleted key with a tombstone and ignores later updates and deletes', () => {
    const gone = fold(createdDoc(), deleted, at(11));
    expect(gone?.deleted_at).toEqual(new Date('2024-01-20T00:00:00.000Z'));
    expect(fold(gone, updated({ name: 'Late' }), at(12))).toBe(gone);
    expect(fold(gone, deleted, at(13))).toBe(gone);
  });

  it('ignores updates and deletes of a key it has never seen', () => {
    expect(fold(null, updated({ name: 'x' }), at(1))).toBeNull();
    expect(fold(null, deleted, at(1))).toBeNull();
  });

  it('lets the first creation of an id win over a later one', () => {
    const first = createdDoc();
    expect(fold(first, { ...created, data: { ...created.data, name: 'Second' } }, at(12))).toBe(first);
  });

  it('ignores changes signed by a user who does not own the key', () => {
    const doc = createdDoc();
    expect(fold(doc, updated({ name: 'Intruder' }, undefined, 99), at(11))).toBe(doc);
    expect(fold(doc, { ...deleted, user_id: 99 }, at(11))).toBe(doc);
  });
});
