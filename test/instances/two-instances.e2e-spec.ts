import { expectErrorEnvelope } from '../support/http';
import { ApiKeyData, createKey, deleteKey, getKey, listKeys } from '../support/keys';
import { RunningService, User, closeAll, isolation, newUser, startInstances } from '../support/service';
import { readTopic } from '../support/topic';

/**
 * Two instances sharing one topic, one consumer group and one database, as a scaled-out
 * deployment runs: each projects only its share of the partitions, so whatever one instance
 * answers must hold on the other too.
 */
describe('key lifecycle across two instances of the service', () => {
  const iso = isolation('pair-lifecycle');
  let first: RunningService;
  let second: RunningService;
  let instances: RunningService[];
  let alice: User;

  beforeAll(async () => {
    instances = await startInstances(iso, 2);
    [first, second] = instances;
    alice = await newUser(first);
  });
  afterAll(() => closeAll(instances ?? []));

  it('gives 30 creates spread over both instances 30 distinct ids, each key usable on both at once', async () => {
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createKey(instances[i % 2], alice.key, { name: `Spread ${i}` })),
    );
    expect(new Set(created.map((k) => k.id)).size).toBe(30);
    for (const [i, key] of created.entries()) {
      // Right after its own 201, on the instance that did not create it.
      expect((await listKeys(instances[(i + 1) % 2], key.key_value!)).status).toBe(200);
    }
    const events = (await readTopic(iso.topic)).filter((r) => r.json?.event_type === 'ApiKeyCreated');
    const eventIds = events.map((r) => r.json.api_key_id);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(eventIds).toEqual(expect.arrayContaining(created.map((k) => k.id)));
    expect(new Set(events.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it('refuses a revoked key on both instances as soon as the DELETE answered, even after both used it', async () => {
    const keys: ApiKeyData[] = [];
    for (let i = 0; i < 8; i++) keys.push(await createKey(instances[i % 2], alice.key, { name: `Revoked ${i}` }));
    for (const [i, key] of keys.entries()) {
      // Used on both first, so whatever either instance remembers about it is warm.
      for (const instance of instances) {
        expect((await listKeys(instance, key.key_value!)).status).toBe(200);
        expect((await getKey(instance, key.key_value!, key.id)).status).toBe(200);
      }
      const deleted = await deleteKey(instances[i % 2], alice.key, key.id);
      expect(deleted.status).toBe(200);
      for (const instance of instances) {
        expectErrorEnvelope(await listKeys(instance, key.key_value!), 401);
        expectErrorEnvelope(await getKey(instance, alice.key, key.id), 404);
      }
    }
  });

  it('shows a key created on one instance in the owner’s list on the other, and drops it there once deleted', async () => {
    for (const [creator, other] of [
      [first, second],
      [second, first],
    ]) {
      const { id } = await createKey(creator, alice.key, { name: 'Cross-listed', key_type: 'public' });
      expect((await listKeys(other, alice.key)).body.data.map((k: ApiKeyData) => k.id)).toContain(id);
      expect((await deleteKey(other, alice.key, id)).status).toBe(200);
      expect((await listKeys(creator, alice.key)).body.data.map((k: ApiKeyData) => k.id)).not.toContain(id);
    }
  });
});
