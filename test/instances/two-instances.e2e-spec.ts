import { call, expectErrorEnvelope } from '../support/http';
import { API_KEYS_PATH, ApiKeyData } from '../support/keys';
import { RunningService, isolation, newUser, startService, testConfig, waitUntil } from '../support/service';
import { readTopic } from '../support/topic';

type User = Awaited<ReturnType<typeof newUser>>;

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
    first = await startService(testConfig(iso));
    second = await startService(testConfig(iso));
    // The second join rebalances the group; both are ready once each owns its share again.
    await waitUntil(
      async () => (await fetch(`${first.url}/health`)).status === 200,
      30000,
      'first instance ready after rebalance',
    );
    instances = [first, second];
    alice = await newUser(first);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const listWith = (service: RunningService, key: string) => call(service.url, 'GET', API_KEYS_PATH, { key });

  it('gives 30 creates spread over both instances 30 distinct ids, each key usable on both at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(instances[i % 2].url, 'POST', API_KEYS_PATH, {
          key: alice.key,
          body: { api_key: { name: `Spread ${i}`, key_type: 'private' } },
        }),
      ),
    );
    for (const reply of replies) expect(reply.status).toBe(201);
    const created: ApiKeyData[] = replies.map((r) => r.body.data);
    expect(new Set(created.map((k) => k.id)).size).toBe(30);
    for (const [i, key] of created.entries()) {
      // Right after its own 201, on the instance that did not create it.
      expect((await listWith(instances[(i + 1) % 2], key.key_value!)).status).toBe(200);
    }
    const events = (await readTopic(iso.topic)).filter((r) => r.json?.event_type === 'ApiKeyCreated');
    const eventIds = events.map((r) => r.json.api_key_id);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(eventIds).toEqual(expect.arrayContaining(created.map((k) => k.id)));
    expect(new Set(events.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it('refuses a revoked key on both instances as soon as the DELETE answered, even after both used it', async () => {
    const keys: ApiKeyData[] = [];
    for (let i = 0; i < 8; i++) {
      const reply = await call(instances[i % 2].url, 'POST', API_KEYS_PATH, {
        key: alice.key,
        body: { api_key: { name: `Revoked ${i}`, key_type: 'private' } },
      });
      expect(reply.status).toBe(201);
      keys.push(reply.body.data);
    }
    for (const [i, key] of keys.entries()) {
      // Used on both first, so whatever either instance remembers about it is warm.
      for (const instance of instances) {
        expect((await listWith(instance, key.key_value!)).status).toBe(200);
        expect((await call(instance.url, 'GET', `${API_KEYS_PATH}/${key.id}`, { key: key.key_value! })).status).toBe(
          200,
        );
      }
      const deleted = await call(instances[i % 2].url, 'DELETE', `${API_KEYS_PATH}/${key.id}`, { key: alice.key });
      expect(deleted.status).toBe(200);
      for (const instance of instances) {
        expectErrorEnvelope(await listWith(instance, key.key_value!), 401);
        expectErrorEnvelope(await call(instance.url, 'GET', `${API_KEYS_PATH}/${key.id}`, { key: alice.key }), 404);
      }
    }
  });

  it('shows a key created on one instance in the owner’s list on the other, and drops it there once deleted', async () => {
    for (const [creator, other] of [
      [first, second],
      [second, first],
    ]) {
      const reply = await call(creator.url, 'POST', API_KEYS_PATH, {
        key: alice.key,
        body: { api_key: { name: 'Cross-listed', key_type: 'public' } },
      });
      expect(reply.status).toBe(201);
      const id = reply.body.data.id;
      expect((await listWith(other, alice.key)).body.data.map((k: ApiKeyData) => k.id)).toContain(id);
      expect((await call(other.url, 'DELETE', `${API_KEYS_PATH}/${id}`, { key: alice.key })).status).toBe(200);
      expect((await listWith(creator, alice.key)).body.data.map((k: ApiKeyData) => k.id)).not.toContain(id);
    }
  });
});
