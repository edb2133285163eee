import { createdData } from '../../../../test/support/key-fixtures';
import { decodeEvent, encodeEvent } from '@app/contracts';
import { API_KEY_CREATED, API_KEY_UPDATED } from '@app/domain';
import { ProjectedKey } from '../read-model/api-key.document';
import { project, userKeysAfter } from './batch-fold';

const created = decodeEvent(
  encodeEvent({
    event_id: 'c',
    event_type: API_KEY_CREATED,
    schema_version: 3,
    actor_key_id: null,
    api_key_id: 1,
    user_id: 1,
    occurred_at: '2024-01-01T00:00:00.000Z',
    correlation_id: 'x',
    data: createdData(),
  }).value,
);
const renamed = (name: string) =>
  ({
    event_id: name,
    event_type: API_KEY_UPDATED,
    schema_version: 3,
    actor_key_id: null,
    api_key_id: 1,
    user_id: 1,
    occurred_at: '2024-01-02T00:00:00.000Z',
    correlation_id: 'x',
    data: { changes: { name } },
  }) as const;
const at = (offset: number) => ({ partition: 0, offset });
const start = () => project(null, created, at(10))!;

describe('project', () => {
  it('folds an event past the key’s applied position and records the new position', () => {
    expect(project(start(), renamed('Once'), at(11))).toMatchObject({ name: 'Once', applied: at(11), version: 2 });
  });

  it('changes nothing for an event at or before the applied position (a redelivery)', () => {
    const once = project(start(), renamed('Once'), at(11))!;
    expect(project(once, renamed('Once'), at(11))).toBeNull();
    expect(project(once, renamed('Older'), at(5))).toBeNull();
  });
});

describe('userKeysAfter', () => {
  const key = (id: number, userId: number, revoked = false) =>
    ({ ...start(), id, user_id: userId, deleted_at: revoked ? '2024-01-03T00:00:00.000Z' : null }) as ProjectedKey;

  it('lists each user’s live keys in ascending order, and only the lists that change', () => {
    const before = new Map([[1, { _id: '1:0', user_id: 1, partition: 0, key_ids: [3, 9] }]]);
    const after = userKeysAfter(0, [key(5, 1), key(9, 1, true), key(4, 2), key(3, 1)], before);
    expect(after).toEqual([
      { _id: '1:0', user_id: 1, partition: 0, key_ids: [3, 5] },
      { _id: '2:0', user_id: 2, partition: 0, key_ids: [4] },
    ]);
    expect(userKeysAfter(0, [key(3, 1)], before)).toEqual([]);
  });

  it('writes a user’s first list in a partition even when the batch also revoked the key', () => {
    expect(userKeysAfter(0, [key(7, 3, true)], new Map())).toEqual([
      { _id: '3:0', user_id: 3, partition: 0, key_ids: [] },
    ]);
  });
});
