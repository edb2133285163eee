import { Reply, call } from '../support/http';
import { ApiKeyData, createKey, deleteKey, listKeys, updateKey } from '../support/keys';
import { waitForProjection } from '../support/projection';
import { Isolation, RunningService, User, isolation, newUser, startService, testConfig } from '../support/service';
import { readCollection } from '../support/store';
import { readTopic } from '../support/topic';

describe('rebuilding the read model from the topic alone', () => {
  const iso = isolation('replay-live');
  /** Same topic, but a consumer group and a database that have never seen it. */
  const fresh: Isolation = { ...isolation('replay-fresh'), topic: iso.topic };
  let live: RunningService;
  let replica: RunningService;
  const users: User[] = [];
  const deletedKeys: ApiKeyData[] = [];
  let liveKeys: Record<string, unknown>[];
  let replayedKeys: Record<string, unknown>[];
  /** Every read model but api_keys, which the tests above compare on their own. */
  const READ_MODELS = [
    'api_key_hashes',
    'user_keys',
    'user_emails',
    'projection_checkpoints',
    'key_events',
    'event_outcomes',
    'idempotency_records',
  ];
  const liveModels = new Map<string, Record<string, unknown>[]>();
  const replayedModels = new Map<string, Record<string, unknown>[]>();

  /** Every step of the history must succeed. */
  const succeeds = (reply: Reply) => {
    if (reply.status !== 200) throw new Error(`answered ${reply.status}: ${reply.text}`);
  };
  const put = async (...args: Parameters<typeof updateKey>) => succeeds(await updateKey(...args));
  const del = async (...args: Parameters<typeof deleteKey>) => succeeds(await deleteKey(...args));

  beforeAll(async () => {
    live = await startService(testConfig(iso));
    const [alice, bob, carol] = [await newUser(live), await newUser(live), await newUser(live)];
    users.push(alice, bob, carol);

    // A history with every kind of event, on several keys and users, some of it concurrent.
    const a1 = await createKey(live, alice.key, {
      name: 'Alice public',
      key_type: 'public',
      allowed_origins: ['https://alice.example.com'],
      allowed_assistants: ['a-1', 'a-2'],
      transient_assistant: true,
    });
    const a2 = await createKey(live, alice.key, { name: 'Alice private' });
    const a3 = await createKey(live, alice.key, { name: 'Alice short-lived', allowed_assistants: ['x'] });
    const b1 = await createKey(live, bob.key, { name: 'Bob main', allowed_origins: ['http://localhost:3000'] });
    const b2 = await createKey(live, bob.key, { name: 'Bob widget', key_type: 'public' });
    await put(live, alice.key, a1.id, { name: 'Alice public, renamed' });
    await put(live, alice.key, a1.id, {
      allowed_origins: ['https://alice.example.com', 'https://www.alice.example.com'],
    });
    await put(live, alice.key, a2.id, { allowed_assistants: ['b-1'] });
    // Conditional writes (schema_version 2): one applied, one the log refuses, and a retry.
    const guarded = { 'If-Match': '"2"', 'Idempotency-Key': 'replay-1' };
    expect((await updateKey(live, alice.key, a2.id, { name: 'Alice private, guarded' }, guarded)).status).toBe(200);
    expect((await updateKey(live, alice.key, a2.id, { name: 'Alice private, guarded' }, guarded)).status).toBe(200);
    expect((await updateKey(live, alice.key, a2.id, { name: 'stale' }, { 'If-Match': '"2"' })).status).toBe(412);
    await put(live, bob.key, b1.id, { name: 'Bob main v2', allowed_origins: [], allowed_assistants: ['z'] });
    // The lifecycle fields and rolls (version 3 events, ApiKeyRolled), folded again identically.
    await put(live, bob.key, b1.id, { expires_at: '2099-01-01T00:00:00Z', enabled: false, meta: { plan: 'pro' } });
    await put(live, bob.key, b1.id, { enabled: true, meta: { plan: 'team', seats: [1, 2] } });
    const rolled = await call(live.url, 'POST', `/api/v1/api_keys/${b1.id}/roll`, {
      key: bob.key,
      body: { expire_previous_in_seconds: 3600 },
    });
    succeeds(rolled);
    succeeds(await call(live.url, 'POST', `/api/v1/api_keys/${b1.id}/roll`, { key: bob.key }));
    // More applied events than a key's document names (16): the later ones get outcome documents.
    for (let i = 0; i < 17; i += 1) await put(live, alice.key, a1.id, { name: `Alice public, take ${i}` });
    await put(live, alice.key, a3.id, { name: 'Alice short-lived, renamed before deletion' });
    await del(live, alice.key, a3.id);
    await del(live, bob.key, b2.id);
    deletedKeys.push(a3, b2);
    const carols = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createKey(live, carol.key, { name: `Carol ${i}` })),
    );
    await Promise.all(carols.map((k, i) => put(live, carol.key, k.id, { name: `Carol ${i} renamed` })));
    await Promise.all([
      del(live, carol.key, carols[0].id),
      del(live, carol.key, carols[3].id),
      put(live, carol.key, carols[5].id, { allowed_assistants: ['c'] }),
    ]);
    deletedKeys.push(carols[0], carols[3]);
    // Carol revokes her bootstrap key with another of her keys, then uses that one on.
    await del(live, carols[1].key_value!, carol.keyId);
    deletedKeys.push({ id: carol.keyId } as ApiKeyData);
    users[2] = { ...carol, key: carols[1].key_value! };
    await put(live, carols[1].key_value!, carols[2].id, { name: 'Carol 2, renamed by key 1' });
    // Refused requests leave no event, so nothing for a replay to trip over either.
    expect((await updateKey(live, alice.key, a3.id, { name: 'ghost' })).status).toBe(404);
    expect((await deleteKey(live, alice.key, b1.id)).status).toBe(404);

    await waitForProjection(iso.database, iso.topic);
    replica = await startService(testConfig(fresh));
    await waitForProjection(fresh.database, iso.topic);
    liveKeys = await readCollection(iso.database, 'api_keys');
    replayedKeys = await readCollection(fresh.database, 'api_keys');
    // A checkpoint's state_marks say where each instance published states (write receipts): not a
    // fold of the log, and the replica publishes at other offsets.
    const folded = (docs: Record<string, unknown>[]) => docs.map(({ state_marks: _marks, ...doc }) => doc);
    for (const name of READ_MODELS) {
      liveModels.set(name, folded(await readCollection(iso.database, name)));
      replayedModels.set(name, folded(await readCollection(fresh.database, name)));
    }
  }, 120_000);
  afterAll(async () => {
    await replica?.close();
    await live?.close();
  });

  it('starts from a history with creations, updates and tombstones on several partitions', async () => {
    const records = await readTopic(iso.topic);
    const types = new Set(records.map((r) => r.json?.event_type));
    expect(types).toEqual(new Set(['ApiKeyCreated', 'ApiKeyUpdated', 'ApiKeyDeleted', 'ApiKeyRolled']));
    expect(new Set(records.map((r) => r.partition)).size).toBeGreaterThan(1);
    expect(liveKeys).toHaveLength(records.filter((r) => r.json?.event_type === 'ApiKeyCreated').length);
    const byNumber = (a: number, b: number) => a - b;
    expect(
      liveKeys
        .filter((d) => d.deleted_at !== null)
        .map((d) => d.id as number)
        .sort(byNumber),
    ).toEqual(deletedKeys.map((k) => k.id).sort(byNumber));
    const changedLater = (d: Record<string, unknown>) =>
      Date.parse(d.updated_at as string) > Date.parse(d.created_at as string);
    expect(liveKeys.some((d) => changedLater(d) && d.deleted_at === null)).toBe(true);
  });

  it('rebuilds every key’s stored document deep-equal to the live one, tombstones and all', () => {
    expect(replayedKeys).toHaveLength(liveKeys.length);
    expect(replayedKeys).toStrictEqual(liveKeys);
  });

  it('rebuilds every other read model too: hash lookups, per-user lists, emails, checkpoints', () => {
    for (const name of READ_MODELS) {
      expect([name, replayedModels.get(name)]).toStrictEqual([name, liveModels.get(name)]);
      expect([name, liveModels.get(name)?.length]).not.toEqual([name, 0]);
    }
    const liveIds = liveKeys.filter((d) => d.deleted_at === null).map((d) => d.id as number);
    const listed = liveModels.get('user_keys')!.flatMap((d) => d.key_ids as number[]);
    expect(listed.sort((a, b) => a - b)).toEqual(liveIds.sort((a, b) => a - b));
  });

  it('rebuilds every key with its owner and owner’s email, from the creation events alone', () => {
    for (const user of users) {
      const owned = replayedKeys.filter((d) => d.user_id === user.userId);
      expect(owned.length).toBeGreaterThan(0);
      for (const doc of owned) expect(doc.user_email).toBe(user.email);
    }
  });

  it('serves the same answers from the rebuilt read model: same lists, same keys refused', async () => {
    for (const user of users) {
      const fromLive = await listKeys(live, user.key);
      const fromReplica = await listKeys(replica, user.key);
      expect(fromLive.status).toBe(200);
      expect(fromReplica.status).toBe(200);
      expect(fromReplica.body).toEqual(fromLive.body);
    }
    for (const key of deletedKeys.filter((k) => k.key_value)) {
      expect((await listKeys(replica, key.key_value!)).status).toBe(401);
    }
  });

  it('keeps a known email’s user id when bootstrapping on the rebuilt read model', async () => {
    // The replica never saw a bootstrap: only the replayed creation events name the user.
    const [first] = users;
    const again = await newUser(replica, first.email);
    expect(again.userId).toBe(first.userId);
    const theirLiveKeys = replayedKeys
      .filter((d) => d.user_id === first.userId && d.deleted_at === null)
      .map((d) => d.id);
    const listed = await listKeys(replica, again.key);
    expect(listed.body.data.map((k: { id: number }) => k.id)).toEqual([...theirLiveKeys, again.keyId]);
  });
});
