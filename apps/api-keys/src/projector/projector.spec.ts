import { createdData } from '../../../../test/support/key-fixtures';
import { API_KEY_CREATED, API_KEY_DELETED, API_KEY_UPDATED, encodeEvent } from '@app/contracts';
import { ConsumedBatch } from '@app/kafka';
import { EventLog } from '../event-log/event-log';
import { FIRST_EVENT_IDS, ProjectedKey } from '../read-model/api-key.document';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { KeyStateCache } from '../read-model/key-state-cache';
import {
  CheckpointDocument,
  IdempotencyRecordDocument,
  EventOutcomeDocument,
  KeyEvent,
  KeyHashDocument,
  UserEmailDocument,
  UserKeysDocument,
} from '../read-model/schemas';
import { UnknownHashes } from '../read-model/unknown-hashes';
import { Metrics } from '../metrics/metrics';
import { ProjectionProgress } from './projection-progress';
import { Projector } from './projector';

const TOPIC = 'events';
type Store = Pick<
  ApiKeysReadModel,
  | 'checkpoint'
  | 'findKeys'
  | 'insertKeys'
  | 'replaceKeys'
  | 'insertHashes'
  | 'recordEmails'
  | 'userKeyDocs'
  | 'insertUserKeys'
  | 'saveUserKeys'
  | 'saveCheckpoint'
  | 'idempotencyRecords'
  | 'insertKeyEvents'
  | 'replaceKeyEvents'
  | 'eventOutcomes'
  | 'insertEventOutcomes'
  | 'replaceEventOutcomes'
  | 'saveIdempotencyRecords'
>;

/** The read models in memory, recording which kind of write happened in which order, and every read. */
class FakeReadModel implements Store {
  readonly keys = new Map<number, ProjectedKey>();
  readonly hashes = new Map<string, number>();
  readonly emails = new Map<string, number>();
  readonly userKeys = new Map<string, UserKeysDocument>();
  readonly history = new Map<string, KeyEvent>();
  readonly records = new Map<string, IdempotencyRecordDocument>();
  readonly outcomes = new Map<string, EventOutcomeDocument>();
  readonly steps: string[] = [];
  readonly keyReads: number[] = [];
  readonly userKeyReads: string[] = [];
  readonly outcomeReads: string[] = [];
  stored: CheckpointDocument | null = null;
  onCheckpoint: () => void = () => undefined;

  checkpoint = async () => this.stored;
  idempotencyRecords = async (ids: readonly string[]) =>
    new Map(ids.filter((id) => this.records.has(id)).map((id) => [id, this.records.get(id)!]));
  insertKeyEvents = async (docs: readonly KeyEvent[]) => {
    for (const doc of docs) if (!this.history.has(doc._id)) this.history.set(doc._id, doc);
  };
  replaceKeyEvents = async (docs: readonly KeyEvent[]) => {
    for (const doc of docs) this.history.set(doc._id, doc);
  };
  eventOutcomes = async (ids: readonly string[]) => {
    this.outcomeReads.push(...ids);
    return new Map(ids.filter((id) => this.outcomes.has(id)).map((id) => [id, this.outcomes.get(id)!]));
  };
  insertEventOutcomes = async (docs: readonly EventOutcomeDocument[]) => {
    for (const doc of docs) if (!this.outcomes.has(doc._id)) this.outcomes.set(doc._id, doc);
  };
  replaceEventOutcomes = async (docs: readonly EventOutcomeDocument[]) => {
    for (const doc of docs) this.outcomes.set(doc._id, doc);
  };
  saveIdempotencyRecords = async (docs: readonly IdempotencyRecordDocument[]) => {
    for (const doc of docs) this.records.set(doc._id, doc);
  };
  findKeys = async (ids: readonly number[]) => {
    this.keyReads.push(...ids);
    return new Map(ids.filter((id) => this.keys.has(id)).map((id) => [id, this.keys.get(id)!]));
  };
  insertKeys = async (keys: readonly ProjectedKey[]) => {
    this.steps.push('insert keys');
    const existing = keys.filter((key) => this.keys.has(key.id)).map((key) => key.id);
    for (const key of keys) if (!existing.includes(key.id)) this.keys.set(key.id, key);
    return existing;
  };
  replaceKeys = async (keys: readonly ProjectedKey[]) => {
    if (keys.length > 0) this.steps.push('replace keys');
    for (const key of keys) this.keys.set(key.id, key);
  };
  insertHashes = async (docs: readonly KeyHashDocument[]) => {
    for (const doc of docs) if (!this.hashes.has(doc._id)) this.hashes.set(doc._id, doc.key_id);
  };
  recordEmails = async (docs: readonly UserEmailDocument[]) => {
    for (const doc of docs) if (!this.emails.has(doc._id)) this.emails.set(doc._id, doc.user_id);
  };
  userKeyDocs = async (userId: number, partitions: readonly number[]) => {
    this.userKeyReads.push(...partitions.map((p) => `${userId}:${p}`));
    return new Map(
      partitions
        .map((p) => this.userKeys.get(`${userId}:${p}`))
        .filter((doc) => doc !== undefined)
        .map((doc) => [doc.partition, doc]),
    );
  };
  insertUserKeys = async (docs: readonly UserKeysDocument[]) => {
    if (docs.length > 0) this.steps.push('insert user keys');
    const existing = docs.filter((doc) => this.userKeys.has(doc._id)).map((doc) => doc._id);
    for (const doc of docs) if (!existing.includes(doc._id)) this.userKeys.set(doc._id, doc);
    return existing;
  };
  saveUserKeys = async (docs: readonly UserKeysDocument[]) => {
    if (docs.length > 0) this.steps.push('user keys');
    for (const doc of docs) this.userKeys.set(doc._id, doc);
  };
  saveCheckpoint = async (checkpoint: CheckpointDocument) => {
    this.onCheckpoint();
    this.steps.push('checkpoint');
    this.stored = checkpoint;
  };
}

const base = (id: number, userId = 1) => ({
  schema_version: 3,
  actor_key_id: null,
  api_key_id: id,
  user_id: userId,
  occurred_at: '2024-01-01T00:00:00.000Z',
  correlation_id: 'x',
});
const created = (id: number, userId = 1, name = `k${id}`) =>
  encodeEvent({
    ...base(id, userId),
    event_id: `c${id}${name}`,
    event_type: API_KEY_CREATED,
    data: createdData({ name, key_hash: String(id).padStart(64, '0'), user_email: `user${userId}@example.com` }),
  });
const renamed = (id: number, name: string, occurredAt = '2024-01-01T00:00:00.000Z') =>
  encodeEvent({
    ...base(id),
    occurred_at: occurredAt,
    event_id: `u${id}${name}`,
    event_type: API_KEY_UPDATED,
    data: { changes: { name } },
  });
const deleted = (id: number) => encodeEvent({ ...base(id), event_id: `d${id}`, event_type: API_KEY_DELETED, data: {} });
/** A rename with conditions (schema_version 2): If-Match and/or an Idempotency-Key. */
const guarded = (id: number, name: string, conditions: { expected?: number; key?: string }) =>
  encodeEvent({
    ...base(id),
    schema_version: 2,
    event_id: `g${id}${name}`,
    event_type: API_KEY_UPDATED,
    ...(conditions.expected !== undefined && { expected_version: conditions.expected }),
    ...(conditions.key !== undefined && {
      idempotency_key: conditions.key,
      request_fingerprint: 'f'.repeat(64),
      idempotency_expires_at: '2024-01-02T00:00:00.000Z',
    }),
    data: { changes: { name } },
  });
const batch = (records: { key: string; value: string }[], firstOffset = 0): ConsumedBatch => ({
  topic: TOPIC,
  partition: 0,
  records: records.map((r, i) => ({ offset: firstOffset + i, key: r.key, value: Buffer.from(r.value), headers: {} })),
});

const setup = (readModel = new FakeReadModel()) => {
  const deadLetters: string[] = [];
  const published: string[] = [];
  let stateEnd = 0;
  const log = {
    deadLetter: async (_b: ConsumedBatch, _r: unknown, reason: string) => void deadLetters.push(reason),
    publishStates: async (keys: Iterable<ProjectedKey>) => {
      const positions = [];
      for (const key of keys) {
        published.push(`${key.id}@${key.version}${key.deleted_at ? ' revoked' : ''}`);
        // A revoked key: its last state, then its tombstone.
        for (let i = key.deleted_at ? 2 : 1; i > 0; i--)
          positions.push({ topic: 's', partition: 0, offset: stateEnd++ });
      }
      return positions;
    },
    topic: TOPIC,
  } as unknown as EventLog;
  const cache = new KeyStateCache(() => 0);
  cache.setOwned([0]);
  const progress = new ProjectionProgress(async () => ({ offset: readModel.stored?.offset ?? -1 }));
  progress.setOwned(TOPIC, [0]);
  const unknownHashes = new UnknownHashes(10, 60_000);
  const metrics = new Metrics();
  const store = readModel as unknown as ApiKeysReadModel;
  const projector = new Projector(log, store, progress, cache, unknownHashes, metrics, false);
  return { readModel, deadLetters, published, cache, progress, projector, unknownHashes, metrics };
};

describe('Projector.apply', () => {
  it('folds a batch in log order and wakes the requests waiting for it', async () => {
    const { readModel, progress, projector } = setup();
    const waiting = progress.waitFor({ topic: TOPIC, partition: 0, offset: 2 }, 5000);
    await projector.apply(batch([created(1), renamed(1, 'second'), renamed(1, 'third')]));
    await expect(waiting).resolves.toBe(true);
    expect(readModel.keys.get(1)).toMatchObject({ name: 'third', version: 3, applied: { offset: 2 } });
    expect(readModel.stored).toMatchObject({ offset: 2, max_key_id: 1, max_user_id: 1 });
  });

  it('records on the checkpoint where each batch left the state topic, for the writes’ receipts', async () => {
    const { readModel, progress, projector } = setup();
    await projector.apply(batch([created(1), created(2)]));
    await projector.apply(batch([renamed(1, 'x'), deleted(2)], 2));
    // Batch one published states 0 and 1; batch two 2, then 3 and the tombstone at 4.
    expect(readModel.stored?.state_marks).toMatch(/^1@\d+=0:1 3@\d+=0:4$/);
    expect(progress.stateOffsetAt({ topic: TOPIC, partition: 0, offset: 1 }, 0)).toBe(1);
    expect(progress.stateOffsetAt({ topic: TOPIC, partition: 0, offset: 3 }, 0)).toBe(4);
  });

  it('writes each changed key once, inserting new keys without reading them first', async () => {
    const { readModel, projector } = setup();
    await projector.apply(batch([created(1), created(2), renamed(1, 'x'), renamed(2, 'y')]));
    expect(readModel.keyReads).toEqual([]);
    expect(readModel.steps).toEqual(['insert keys', 'insert user keys', 'checkpoint']);
  });

  it('reads a key it has not cached by id before folding an update onto it', async () => {
    const stored = new FakeReadModel();
    await setup(stored).projector.apply(batch([created(1)]));
    const { readModel, projector } = setup(stored); // a fresh instance: nothing cached
    readModel.stored = null; // and no checkpoint either, as after a replay into this store
    await projector.apply(batch([renamed(1, 'after restart')], 1));
    expect(readModel.keyReads).toEqual([1]);
    expect(readModel.keys.get(1)).toMatchObject({ name: 'after restart', version: 2 });
  });

  it('makes the new state readable from the cache before the checkpoint can be seen', async () => {
    const { readModel, cache, projector } = setup();
    await projector.apply(batch([created(1)]));
    let cachedAtCheckpoint: string | undefined;
    readModel.onCheckpoint = () => (cachedAtCheckpoint = cache.get(1)?.name);
    await projector.apply(batch([renamed(1, 'new')], 1));
    expect(cachedAtCheckpoint).toBe('new');
  });

  it('wakes its waiting requests once the keys and the cache are written, not after the checkpoint', async () => {
    const { readModel, progress, projector } = setup();
    await projector.apply(batch([created(1)]));
    const waiting = progress.waitFor({ topic: TOPIC, partition: 0, offset: 1 }, 5000);
    let keyWhenWoken: string | undefined;
    void waiting.then(() => (keyWhenWoken = readModel.keys.get(1)?.name));
    readModel.onCheckpoint = () => {
      throw new Error('the store went away');
    };
    await expect(projector.apply(batch([renamed(1, 'new')], 1))).rejects.toThrow('went away');
    await expect(waiting).resolves.toBe(true);
    expect(keyWhenWoken).toBe('new');
  });

  it('keeps the hash lookup, the owner’s email and the owner’s list of live keys', async () => {
    const { readModel, projector } = setup();
    await projector.apply(batch([created(1), created(2), created(3, 2), deleted(2)]));
    expect([...readModel.hashes]).toEqual([
      ['0'.repeat(63) + '1', 1],
      ['0'.repeat(63) + '2', 2],
      ['0'.repeat(63) + '3', 3],
    ]);
    expect([...readModel.emails]).toEqual([
      ['user1@example.com', 1],
      ['user2@example.com', 2],
    ]);
    expect(readModel.userKeys.get('1:0')?.key_ids).toEqual([1]);
    expect(readModel.userKeys.get('2:0')?.key_ids).toEqual([3]);
  });

  it('publishes every key the batch touched, as it now stands, once per batch', async () => {
    const { projector, published } = setup();
    await projector.apply(batch([created(1), renamed(1, 'x'), created(2), deleted(2)]));
    expect(published).toEqual(['1@2', '2@2 revoked']);
    await projector.apply(batch([renamed(1, 'y')], 4));
    expect(published).toEqual(['1@2', '2@2 revoked', '1@3']);
  });

  it('forgets a created key’s hash among the unknown ones', async () => {
    const { projector, unknownHashes } = setup();
    unknownHashes.add('0'.repeat(63) + '1');
    await projector.apply(batch([created(1)]));
    expect(unknownHashes.has('0'.repeat(63) + '1')).toBe(false);
  });

  it('sets an unreadable record aside and still applies the rest of the batch', async () => {
    const { readModel, deadLetters, projector, metrics } = setup();
    await projector.apply(batch([created(1), { key: '1', value: '{broken' }, renamed(1, 'after')]));
    expect(deadLetters).toEqual(['value is not JSON']);
    expect((await metrics.deadLetters.get()).values[0].value).toBe(1);
    expect(readModel.keys.get(1)?.name).toBe('after');
    expect(readModel.stored?.offset).toBe(2);
  });

  it('skips a batch delivered again after its checkpoint, writing nothing', async () => {
    const { readModel, projector } = setup();
    const records = [created(1), renamed(1, 'once')];
    await projector.apply(batch(records));
    readModel.steps.length = 0;
    await projector.apply(batch(records));
    expect(readModel.steps).toEqual([]);
  });

  it('ends in the same state when a crash left the keys written but not the checkpoint', async () => {
    const stored = new FakeReadModel();
    const records = [created(1), renamed(1, 'once'), created(2), deleted(2)];
    await setup(stored).projector.apply(batch(records));
    const expected = { keys: new Map(stored.keys), userKeys: new Map(stored.userKeys) };
    stored.stored = null;
    stored.userKeys.clear(); // the crash came before the per-user lists were written
    await setup(stored).projector.apply(batch(records));
    expect(stored.keys).toEqual(expected.keys);
    expect(stored.userKeys).toEqual(expected.userKeys);
  });

  it('ignores an event appended again with the same event_id, in the same batch or a later one', async () => {
    const { readModel, projector } = setup();
    const first = renamed(1, 'first');
    await projector.apply(batch([created(1), first, renamed(1, 'second'), first]));
    expect(readModel.keys.get(1)).toMatchObject({ name: 'second', version: 3 });
    // The old rename again, much later: it must not roll the key back, nor raise its version.
    await projector.apply(batch([first, created(1)], 4));
    expect(readModel.keys.get(1)).toMatchObject({ name: 'second', version: 3 });
    expect([...readModel.history.keys()]).toEqual(['1:1', '1:2', '1:3']);
    expect(readModel.keys.get(1)?.applied_events?.first_ids).toEqual(['c1k1', 'u1first', 'u1second']);
  });

  it('applies a redelivered record whose history a crash left written, since it is no duplicate of itself', async () => {
    const stored = new FakeReadModel();
    await setup(stored).projector.apply(batch([created(1)]));
    const before = { key: stored.keys.get(1)!, checkpoint: stored.stored };
    await setup(stored).projector.apply(batch([renamed(1, 'once')], 1));
    const expected = stored.keys.get(1);
    // The crash came after the rename's history entry was written, before its key and checkpoint were.
    stored.keys.set(1, before.key);
    stored.stored = before.checkpoint;
    await setup(stored).projector.apply(batch([renamed(1, 'once')], 1));
    expect(stored.keys.get(1)).toEqual(expected);
  });

  it('inserts the per-user lists of a rebuild without reading them (no checkpoint yet)', async () => {
    const { readModel, projector } = setup();
    await projector.apply(batch([created(1), created(2, 2)]));
    await projector.apply(batch([created(3, 3), created(4, 2), deleted(1)], 2));
    expect(readModel.userKeyReads).toEqual([]);
    expect(readModel.steps).toEqual([
      'insert keys',
      'insert user keys',
      'checkpoint',
      'insert keys',
      'replace keys',
      'insert user keys',
      'user keys',
      'checkpoint',
    ]);
    expect([...readModel.userKeys.values()].map((doc) => [doc._id, doc.key_ids])).toEqual([
      ['1:0', []],
      ['2:0', [2, 4]],
      ['3:0', [3]],
    ]);
  });

  it('reads a per-user list it has not cached when the checkpoint has seen that user, then replaces it', async () => {
    const stored = new FakeReadModel();
    await setup(stored).projector.apply(batch([created(1)]));
    const { readModel, projector } = setup(stored); // another instance takes the partition over
    await projector.apply(batch([created(2)], 1));
    expect(readModel.userKeyReads).toEqual(['1:0']);
    expect(readModel.userKeys.get('1:0')?.key_ids).toEqual([1, 2]);
  });

  it('knows without a read that a user above the checkpoint’s largest user id has no list yet', async () => {
    const stored = new FakeReadModel();
    await setup(stored).projector.apply(batch([created(1, 5)]));
    const { readModel, projector } = setup(stored);
    await projector.apply(batch([created(2, 6), created(3, 7)], 1));
    expect(readModel.userKeyReads).toEqual([]);
    expect(readModel.userKeys.get('6:0')?.key_ids).toEqual([2]);
    expect(readModel.userKeys.get('7:0')?.key_ids).toEqual([3]);
  });

  it('replaces a per-user list a crash left written but not checkpointed, folding from what is stored', async () => {
    const stored = new FakeReadModel();
    await setup(stored).projector.apply(batch([created(1), created(2)]));
    stored.stored = null; // the checkpoint never made it
    const { readModel, projector } = setup(stored);
    await projector.apply(batch([created(1), created(2), deleted(2), created(3)]));
    expect(readModel.userKeys.get('1:0')?.key_ids).toEqual([1, 3]);
    expect(readModel.userKeyReads).toEqual(['1:0']);
  });

  it('lets the first creation of an id win, even when the key is not cached', async () => {
    const stored = new FakeReadModel();
    await setup(stored).projector.apply(batch([created(1, 1, 'first')]));
    const { readModel, projector } = setup(stored);
    await projector.apply(batch([created(1, 1, 'second'), renamed(1, 'renamed')], 1));
    expect(readModel.keys.get(1)).toMatchObject({ name: 'renamed', version: 2 });
    expect(readModel.hashes.size).toBe(1);
  });

  it('writes one history entry per applied event, by version, and none for an ignored one', async () => {
    const { readModel, projector } = setup();
    await projector.apply(batch([created(1), renamed(1, 'a'), deleted(1), renamed(1, 'too late')]));
    expect([...readModel.history.values()].map((h) => [h._id, h.event_type, h.changes ?? null])).toEqual([
      ['1:1', 'ApiKeyCreated', null],
      ['1:2', 'ApiKeyUpdated', { name: 'a' }],
      ['1:3', 'ApiKeyDeleted', null],
    ]);
  });

  it('records why each ignored event was ignored, by its event id; the key names those applied', async () => {
    const { readModel, projector } = setup();
    const events = [
      created(1),
      guarded(1, 'first', { expected: 1, key: 'one' }),
      guarded(1, 'stale', { expected: 1 }),
      guarded(1, 'again', { key: 'one' }),
      deleted(1),
      renamed(1, 'too late'),
      created(1, 1, 'second'),
    ];
    await projector.apply(batch(events));
    const outcomes = events.map((e) => {
      const doc = readModel.outcomes.get(JSON.parse(e.value).event_id);
      return doc && [doc.outcome, doc.version];
    });
    expect(outcomes).toEqual([
      undefined,
      undefined,
      ['version_mismatch', 2],
      ['idempotent_retry', 2],
      undefined,
      ['key_not_found', 3],
      ['key_exists', 3],
    ]);
    expect(readModel.keys.get(1)?.applied_events?.first_ids).toEqual(['c1k1', 'g1first', 'd1']);
  });

  it('applies only the first of two writes that expected the same version, and records why the other was not', async () => {
    const { readModel, projector } = setup();
    await projector.apply(
      batch([
        created(1),
        guarded(1, 'first', { expected: 1, key: 'one' }),
        guarded(1, 'second', { expected: 1, key: 'two' }),
      ]),
    );
    expect(readModel.keys.get(1)).toMatchObject({ name: 'first', version: 2 });
    expect(readModel.records.get('1:1:one')).toMatchObject({ outcome: 'applied', key: { name: 'first', version: 2 } });
    expect(readModel.records.get('1:1:two')).toMatchObject({ outcome: 'version_mismatch', key: { version: 2 } });
  });

  it('folds a retry with a used Idempotency-Key not at all, in this batch or a later one', async () => {
    const { readModel, projector } = setup();
    await projector.apply(batch([created(1), guarded(1, 'once', { key: 'k' }), guarded(1, 'twice', { key: 'k' })]));
    await projector.apply(batch([guarded(1, 'thrice', { key: 'k' })], 3));
    expect(readModel.keys.get(1)).toMatchObject({ name: 'once', version: 2 });
    expect(readModel.records.get('1:1:k')).toMatchObject({ event_id: 'g1once', outcome: 'applied' });
  });

  describe('telling a duplicate (rule 3)', () => {
    const idOf = (record: { value: string }) => (JSON.parse(record.value) as { event_id: string }).event_id;
    /** A key with `count` renames after its creation, each a second after the one before. */
    const longLived = (count: number) =>
      Array.from({ length: count }, (_, i) =>
        renamed(1, `r${i}`, new Date(Date.UTC(2024, 0, 1, 0, 0, i + 1)).toISOString()),
      );

    it('tells a duplicate from the key’s own document, reading nothing, in a partition taken midway', async () => {
      const stored = new FakeReadModel();
      const first = renamed(1, 'first');
      await setup(stored).projector.apply(batch([created(1), first, renamed(1, 'second')]));
      const { readModel, projector } = setup(stored); // another instance takes the partition over
      await projector.apply(batch([first, renamed(1, 'third')], 3));
      expect(readModel.outcomeReads).toEqual([]);
      expect(readModel.outcomes.size).toBe(0);
      expect(readModel.keys.get(1)).toMatchObject({ name: 'third', version: 4 });
    });

    it('gives an applied event its own outcome once its key’s document names the first ones', async () => {
      const { readModel, projector } = setup();
      const renames = longLived(FIRST_EVENT_IDS + 1);
      await projector.apply(batch([created(1), ...renames]));
      expect(readModel.keys.get(1)?.applied_events?.first_ids).toHaveLength(FIRST_EVENT_IDS);
      expect([...readModel.outcomes.keys()]).toEqual(renames.slice(FIRST_EVENT_IDS - 1).map(idOf));
      expect(readModel.outcomes.get(idOf(renames[FIRST_EVENT_IDS]))).toMatchObject({ outcome: 'applied' });
    });

    it('reads an outcome only for a record no newer than the key’s latest applied event, and ignores it when applied', async () => {
      const stored = new FakeReadModel();
      const renames = longLived(FIRST_EVENT_IDS + 2);
      await setup(stored).projector.apply(batch([created(1), ...renames]));
      const { readModel, projector } = setup(stored);
      const last = renames[renames.length - 1];
      const later = renamed(1, 'later', '2024-01-02T00:00:00.000Z');
      await projector.apply(batch([last, renames[0], later], renames.length + 1));
      // The first rename is named by the key; the last one is not, and is no newer than the key's
      // latest: its outcome is read. The later one cannot repeat anything. Both old ones: ignored.
      expect(readModel.outcomeReads).toEqual([idOf(last)]);
      expect(readModel.keys.get(1)).toMatchObject({ name: 'later', version: renames.length + 2 });
    });

    it('reads the outcomes of a key stored before its document named applied events', async () => {
      const stored = new FakeReadModel();
      const first = renamed(1, 'first');
      await setup(stored).projector.apply(batch([created(1), first]));
      const { applied_events: _events, ...legacy } = stored.keys.get(1)!;
      stored.keys.set(1, legacy);
      stored.outcomes.set(idOf(first), { _id: idOf(first), api_key_id: 1, offset: 1, outcome: 'applied', version: 2 });
      const { readModel, projector } = setup(stored);
      await projector.apply(batch([first, renamed(1, 'third')], 2));
      expect(readModel.outcomeReads).toEqual([idOf(first), idOf(renamed(1, 'third'))]);
      expect(readModel.keys.get(1)).toMatchObject({ name: 'third', version: 3 });
      expect(readModel.keys.get(1)?.applied_events).toBeUndefined();
      expect(readModel.outcomes.get(idOf(renamed(1, 'third')))).toMatchObject({ outcome: 'applied', version: 3 });
    });

    it('judges again a record whose first copy was ignored: it is no duplicate of an applied event', async () => {
      const { readModel, projector } = setup();
      const stale = guarded(1, 'stale', { expected: 1 });
      await projector.apply(batch([created(1), renamed(1, 'second'), stale]));
      await projector.apply(batch([stale], 3));
      expect(readModel.keys.get(1)).toMatchObject({ name: 'second', version: 2 });
      expect(readModel.outcomes.get(idOf(stale))).toMatchObject({ offset: 2, outcome: 'version_mismatch' });
    });
  });
});
