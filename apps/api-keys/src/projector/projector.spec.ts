import { API_KEY_CREATED, API_KEY_UPDATED, decodeEvent, encodeEvent } from '@app/contracts';
import { ConsumedBatch } from '@app/kafka';
import { EventLog } from '../event-log/event-log';
import { ProjectedKey } from '../read-model/api-key.document';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { CheckpointDocument } from '../read-model/schemas';
import { KeyStateCache } from '../read-model/key-state-cache';
import { ProjectionProgress } from './projection-progress';
import { Projector, project } from './projector';

const TOPIC = 'events';

/** An in-memory stand-in for the MongoDB read model that records the order of writes. */
class FakeReadModel implements Pick<ApiKeysReadModel, 'loadMany' | 'saveKeys' | 'saveCheckpoint'> {
  readonly docs = new Map<number, ProjectedKey>();
  readonly steps: string[] = [];
  checkpoint = -1;
  onCheckpoint: () => void = () => undefined;

  async loadMany(ids: readonly number[]) {
    return new Map(ids.filter((id) => this.docs.has(id)).map((id) => [id, this.docs.get(id)!]));
  }
  async saveKeys(changed: readonly ProjectedKey[]) {
    this.steps.push('documents');
    for (const doc of changed) this.docs.set(doc.id, doc);
  }
  async saveCheckpoint(checkpoint: CheckpointDocument) {
    this.onCheckpoint();
    this.steps.push('checkpoint');
    this.checkpoint = checkpoint.offset;
  }
}

const created = (id: number) =>
  encodeEvent({
    event_id: `c${id}`,
    event_type: API_KEY_CREATED,
    schema_version: 1,
    api_key_id: id,
    user_id: 1,
    occurred_at: '2024-01-01T00:00:00.000Z',
    correlation_id: 'x',
    data: {
      key_type: 'private',
      name: `k${id}`,
      key_hash: String(id).padStart(64, '0'),
      allowed_origins: [],
      allowed_assistants: [],
      transient_assistant: false,
      user_email: 'u@example.com',
    },
  });
const renamed = (id: number, name: string) =>
  encodeEvent({
    event_id: `u${id}${name}`,
    event_type: API_KEY_UPDATED,
    schema_version: 1,
    api_key_id: id,
    user_id: 1,
    occurred_at: '2024-01-02T00:00:00.000Z',
    correlation_id: 'x',
    data: { changes: { name } },
  });
const batch = (records: { key: string; value: string }[], firstOffset = 0): ConsumedBatch => ({
  topic: TOPIC,
  partition: 0,
  records: records.map((r, i) => ({ offset: firstOffset + i, key: r.key, value: Buffer.from(r.value), headers: {} })),
});

const setup = () => {
  const readModel = new FakeReadModel();
  const deadLetters: string[] = [];
  const log = {
    deadLetter: async (_b: ConsumedBatch, _r: unknown, reason: string) => void deadLetters.push(reason),
    topic: TOPIC,
  } as unknown as EventLog;
  const cache = new KeyStateCache(() => 0);
  cache.setOwned([0]);
  const progress = new ProjectionProgress(async () => readModel.checkpoint);
  progress.setOwned(TOPIC, [0]);
  const projector = new Projector(log, readModel as unknown as ApiKeysReadModel, progress, cache, false);
  return { readModel, deadLetters, cache, progress, projector };
};

describe('Projector.apply', () => {
  it('folds a batch in log order and wakes the requests waiting for it', async () => {
    const { readModel, progress, projector } = setup();
    const waiting = progress.waitFor({ topic: TOPIC, partition: 0, offset: 2 }, 5000);
    await projector.apply(batch([created(1), renamed(1, 'second'), renamed(1, 'third')]));
    await expect(waiting).resolves.toBe(true);
    expect(readModel.docs.get(1)?.name).toBe('third');
    expect(readModel.checkpoint).toBe(2);
  });

  it('makes the new state readable from the cache before the checkpoint can be seen', async () => {
    const { readModel, cache, projector } = setup();
    await projector.apply(batch([created(1)]));
    let cachedAtCheckpoint: string | undefined;
    readModel.onCheckpoint = () => (cachedAtCheckpoint = cache.get(1)?.name);
    await projector.apply(batch([renamed(1, 'new')], 1));
    expect(cachedAtCheckpoint).toBe('new');
    expect(readModel.steps).toEqual(['documents', 'checkpoint', 'documents', 'checkpoint']);
  });

  it('sets an unreadable record aside and still applies the rest of the batch', async () => {
    const { readModel, deadLetters, projector } = setup();
    await projector.apply(batch([created(1), { key: '1', value: '{broken' }, renamed(1, 'after')]));
    expect(deadLetters).toEqual(['value is not JSON']);
    expect(readModel.docs.get(1)?.name).toBe('after');
    expect(readModel.checkpoint).toBe(2);
  });

  it('changes nothing when a batch is delivered again', async () => {
    const { readModel, projector } = setup();
    const records = [created(1), renamed(1, 'once')];
    await projector.apply(batch(records));
    const before = readModel.docs.get(1);
    await projector.apply(batch(records));
    expect(readModel.docs.get(1)).toBe(before);
  });
});

describe('project', () => {
  const event = (offset: number, name: string) => ({
    event: decodeEvent(renamed(1, name).value, '1'),
    at: { partition: 0, offset },
  });
  const start = () => project(null, decodeEvent(created(1).value, '1'), { partition: 0, offset: 10 })!;

  it('folds an event past the key’s applied position and records the new position', () => {
    const { event: e, at } = event(11, 'Once');
    expect(project(start(), e, at)).toMatchObject({ name: 'Once', applied: at, version: 2 });
  });

  it('changes nothing for an event at or before the applied position (a redelivery)', () => {
    const once = project(start(), event(11, 'Once').event, { partition: 0, offset: 11 })!;
    expect(project(once, event(11, 'Once').event, { partition: 0, offset: 11 })).toBeNull();
    expect(project(once, event(5, 'Older').event, { partition: 0, offset: 5 })).toBeNull();
  });
});
