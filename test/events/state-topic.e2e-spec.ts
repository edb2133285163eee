import { createKey, deleteKey, updateKey } from '../support/keys';
import { replayToFreshDatabase, waitForProjection } from '../support/projection';
import { useService } from '../support/service';
import { readCollection } from '../support/store';
import { TopicRecord, readTopic } from '../support/topic';
import { ContractValidator } from './contract-schemas';

const STATE_SCHEMA = 'https://schemas.api-keys.example/api-key-state.v2.json';

/**
 * What a downstream consumer holds after reading the state topic from the start, knowing only the
 * published contract (the topic, its keys, tombstones and the committed JSON Schema): the last
 * value of each key, a tombstone forgetting the key.
 */
function holdAll(records: readonly TopicRecord[], validator: ContractValidator) {
  const held = new Map<string, Record<string, unknown>>();
  for (const record of records) {
    if (record.value === null) {
      held.delete(record.key!);
      continue;
    }
    expect([record.key, record.headers.ce_dataschema]).toEqual([record.key, STATE_SCHEMA]);
    expect([record.key, validator.problems(STATE_SCHEMA, record.json, { closed: true })]).toEqual([record.key, []]);
    held.set(record.key!, record.json as Record<string, unknown>);
  }
  return held;
}

describe('the compacted state topic', () => {
  const suite = useService('state', ['alice', 'bob']);
  const stateTopic = () => `${suite.iso.topic}.state`;
  const validator = new ContractValidator();

  beforeAll(async () => {
    const { service, alice, bob } = suite;
    const a = await createKey(service, alice.key, { name: 'A', allowed_origins: ['https://a.example'] });
    const b = await createKey(service, bob.key, { name: 'B', key_type: 'public' });
    const c = await createKey(service, alice.key, { name: 'C' });
    await updateKey(service, alice.key, a.id, { name: 'A renamed', allowed_assistants: ['x'] });
    await updateKey(service, bob.key, b.id, { allowed_origins: [] });
    await deleteKey(service, alice.key, c.id);
    await waitForProjection(suite.iso.database, suite.iso.topic);
  });

  it('lets a consumer of the public contract alone hold every live key, equal to the read model', async () => {
    const held = holdAll(await readTopic(stateTopic()), validator);
    const live = (await readCollection(suite.iso.database, 'api_keys')).filter((doc) => doc.deleted_at === null);
    expect([...held.keys()].sort()).toEqual(live.map((doc) => String(doc.id)).sort());
    // The stored document is the state and its position, plus which events made it (the projector's own).
    for (const { _id, applied_events: _events, ...doc } of live) {
      expect(held.get(String(_id))).toEqual({ schema_version: 2, ...doc });
    }
  });

  it('publishes a revoked key once as revoked, then as a tombstone', async () => {
    const records = await readTopic(stateTopic());
    const revoked = (await readCollection(suite.iso.database, 'api_keys')).find((doc) => doc.deleted_at !== null)!;
    const ofKey = records.filter((r) => r.key === String(revoked.id));
    expect(ofKey.at(-2)?.json).toMatchObject({ id: revoked.id, deleted_at: revoked.deleted_at });
    expect(ofKey.at(-1)?.value).toBeNull();
  });

  it('is keyed by key id, each key on the partition of its events, in the order of its versions', async () => {
    const events = await readTopic(suite.iso.topic);
    const partitionOf = new Map(events.map((r) => [r.key, r.partition]));
    for (const record of await readTopic(stateTopic())) {
      expect([record.key, record.partition]).toEqual([record.key, partitionOf.get(record.key)]);
    }
    const versions = (await readTopic(stateTopic()))
      .filter((r) => r.value !== null)
      .reduce((byKey, r) => byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), r.json.version as number]), new Map());
    for (const [key, seen] of versions) {
      expect([key, seen]).toEqual([key, [...(seen as number[])].sort((x: number, y: number) => x - y)]);
    }
  });

  it('gets the same values again from a replay, so what a consumer holds does not change', async () => {
    const before = await readTopic(stateTopic());
    const heldBefore = holdAll(before, validator);
    await replayToFreshDatabase(suite.iso.topic);
    const after = await readTopic(stateTopic());
    const positions = new Set(before.map((r) => `${r.partition}:${r.offset}`));
    const republished = after
      .filter((r) => !positions.has(`${r.partition}:${r.offset}`))
      .map((r) => `${r.key} ${r.value}`);
    const original = new Set(before.map((r) => `${r.key} ${r.value}`));
    expect(republished.length).toBeGreaterThan(0);
    for (const value of republished) expect(original.has(value)).toBe(true);
    expect(holdAll(after, validator)).toEqual(heldBefore);
  });
});
