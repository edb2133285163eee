import { Reply, call, expectErrorEnvelope } from '../support/http';
import { API_KEYS_PATH, ApiKeyData, createKey, expectRefusedWithoutEvent } from '../support/keys';
import { RunningService, isolation, newUser, startService, testConfig } from '../support/service';
import { readTopic } from '../support/topic';

type User = Awaited<ReturnType<typeof newUser>>;

/** Ids no key will ever have in this suite's fresh database. */
const MISSING_ID = 987654321;

describe('reading, listing and deleting keys, owners only', () => {
  const iso = isolation('read-delete');
  let service: RunningService;
  let alice: User;
  let bob: User;

  beforeAll(async () => {
    service = await startService(testConfig(iso));
    alice = await newUser(service);
    bob = await newUser(service);
  });
  afterAll(() => service?.close());

  const get = (key: string, id: number | string) => call(service.url, 'GET', `${API_KEYS_PATH}/${id}`, { key });
  const list = (key: string) => call(service.url, 'GET', API_KEYS_PATH, { key });
  const put = (key: string, id: number | string, body: unknown = { api_key: { name: 'Taken over' } }) =>
    call(service.url, 'PUT', `${API_KEYS_PATH}/${id}`, { key, body });
  const del = (key: string, id: number | string) => call(service.url, 'DELETE', `${API_KEYS_PATH}/${id}`, { key });

  /** A 404 exactly like the one for a key that never existed, for the same caller and method. */
  const expectSameAsMissing = async (reply: Reply, missing: () => Promise<Reply>) => {
    expectErrorEnvelope(reply, 404);
    const reference = await missing();
    expectErrorEnvelope(reference, 404);
    expect(reply.body).toEqual(reference.body);
    expect(reply.headers.get('content-type')).toBe(reference.headers.get('content-type'));
  };

  describe('GET /api/v1/api_keys/:id', () => {
    it('answers 200 with the key, key_value null', async () => {
      const created = await createKey(service, alice.key, {
        name: 'Read me',
        allowed_assistants: ['a1'],
        transient_assistant: true,
      });
      const reply = await get(alice.key, created.id);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        status: { code: 200, message: expect.any(String) },
        data: { ...created, key_value: null },
      });
    });

    it.each([['0'], ['-1'], ['1.5'], ['abc'], ['1e3'], ['01'], ['99999999999999999999'], [String(MISSING_ID)]])(
      'answers a path id %s that names no key with the same 404 as a missing key',
      async (id) => {
        await expectSameAsMissing(await get(alice.key, id), () => get(alice.key, MISSING_ID));
      },
    );
  });

  describe('GET /api/v1/api_keys', () => {
    it('lists only the caller’s live keys, ordered by id, key_value always null', async () => {
      const carol = await newUser(service);
      const created = [
        await createKey(service, carol.key, { name: 'c1' }),
        await createKey(service, carol.key, { name: 'c2', key_type: 'public' }),
        await createKey(service, carol.key, { name: 'c3' }),
      ];
      await createKey(service, alice.key, { name: 'Not carol’s' });
      expect((await del(carol.key, created[1].id)).status).toBe(200);
      const reply = await list(carol.key);
      expect(reply.status).toBe(200);
      expect(reply.body.status).toEqual({ code: 200, message: expect.any(String) });
      expect(reply.body.data.map((k: ApiKeyData) => k.id)).toEqual([carol.keyId, created[0].id, created[2].id]);
      expect(reply.body.data.slice(1)).toEqual([
        { ...created[0], key_value: null },
        { ...created[2], key_value: null },
      ]);
      for (const key of reply.body.data) {
        expect(key.key_value).toBeNull();
        expect(key.user_id).toBe(carol.userId);
      }
    });

    it('answers a user with only the bootstrap key with that one key', async () => {
      const dave = await newUser(service);
      const reply = await list(dave.key);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toEqual([
        expect.objectContaining({
          id: dave.keyId,
          key_type: 'private',
          key_value: null,
          user_id: dave.userId,
          user_email: dave.email,
        }),
      ]);
    });
  });

  describe('two users cannot see or touch each other’s keys', () => {
    let alicesKey: ApiKeyData;

    beforeAll(async () => {
      alicesKey = await createKey(service, alice.key, {
        name: 'Alice only',
        allowed_origins: ['https://alice.example.com'],
      });
    });

    it('answers GET of another user’s key with the same 404 as a missing key', async () => {
      await expectSameAsMissing(await get(bob.key, alicesKey.id), () => get(bob.key, MISSING_ID));
      await expectSameAsMissing(await get(alice.key, bob.keyId), () => get(alice.key, MISSING_ID));
    });

    it('answers PUT of another user’s key with the same 404 as a missing key, and records nothing', async () => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 404, () => put(bob.key, alicesKey.id));
      await expectSameAsMissing(reply, () => put(bob.key, MISSING_ID));
    });

    it('answers DELETE of another user’s key with the same 404 as a missing key, and records nothing', async () => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 404, () => del(bob.key, alicesKey.id));
      await expectSameAsMissing(reply, () => del(bob.key, MISSING_ID));
    });

    it('answers PUT with an invalid body on another user’s key without revealing that it exists', async () => {
      const foreign = await put(bob.key, alicesKey.id, { api_key: { name: '' } });
      const missing = await put(bob.key, MISSING_ID, { api_key: { name: '' } });
      expect(foreign.status).toBe(missing.status);
      expect(foreign.body).toEqual(missing.body);
    });

    it('keeps each user’s list to their own keys', async () => {
      const bobs = await list(bob.key);
      expect(bobs.body.data.map((k: ApiKeyData) => k.id)).not.toContain(alicesKey.id);
      expect(bobs.body.data.every((k: ApiKeyData) => k.user_id === bob.userId)).toBe(true);
      const alices = await list(alice.key);
      expect(alices.body.data.map((k: ApiKeyData) => k.id)).not.toContain(bob.keyId);
      expect(alices.body.data.every((k: ApiKeyData) => k.user_id === alice.userId)).toBe(true);
    });

    it('leaves the key exactly as it was after the other user’s attempts', async () => {
      await put(bob.key, alicesKey.id);
      await del(bob.key, alicesKey.id);
      const reply = await get(alice.key, alicesKey.id);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toEqual({ ...alicesKey, key_value: null });
      expect((await call(service.url, 'GET', API_KEYS_PATH, { key: alicesKey.key_value! })).status).toBe(200);
    });

    it('does not let a key of one user act on another user’s keys through the Bearer header either', async () => {
      const reply = await call(service.url, 'GET', `${API_KEYS_PATH}/${alicesKey.id}`, {
        headers: { Authorization: `Bearer ${bob.key}` },
      });
      await expectSameAsMissing(reply, () => get(bob.key, MISSING_ID));
    });
  });

  describe('DELETE /api/v1/api_keys/:id', () => {
    it('answers 200 in the envelope with the revoked key, key_value null', async () => {
      const doomed = await createKey(service, alice.key, { name: 'To delete' });
      const reply = await del(alice.key, doomed.id);
      expect(reply.status).toBe(200);
      expect(reply.body.status).toEqual({ code: 200, message: expect.any(String) });
      expect(reply.body.data).toEqual(
        expect.objectContaining({ id: doomed.id, key_value: null, user_id: alice.userId, name: 'To delete' }),
      );
      expect(reply.text).not.toContain(doomed.key_value);
    });

    it('makes GET, PUT and DELETE of the key 404 like a missing key once it answered', async () => {
      const doomed = await createKey(service, alice.key, { name: 'Gone' });
      expect((await del(alice.key, doomed.id)).status).toBe(200);
      await expectSameAsMissing(await get(alice.key, doomed.id), () => get(alice.key, MISSING_ID));
      await expectSameAsMissing(await expectRefusedWithoutEvent(iso.topic, 404, () => put(alice.key, doomed.id)), () =>
        put(alice.key, MISSING_ID),
      );
      await expectSameAsMissing(await expectRefusedWithoutEvent(iso.topic, 404, () => del(alice.key, doomed.id)), () =>
        del(alice.key, MISSING_ID),
      );
    });

    it('drops the key from the list once it answered', async () => {
      const doomed = await createKey(service, alice.key, { name: 'Unlisted' });
      expect((await list(alice.key)).body.data.map((k: ApiKeyData) => k.id)).toContain(doomed.id);
      expect((await del(alice.key, doomed.id)).status).toBe(200);
      expect((await list(alice.key)).body.data.map((k: ApiKeyData) => k.id)).not.toContain(doomed.id);
    });

    it('records exactly one ApiKeyDeleted for the key, after its creation on the same partition', async () => {
      const doomed = await createKey(service, alice.key, { name: 'Deleted once' });
      expect((await del(alice.key, doomed.id)).status).toBe(200);
      expect((await del(alice.key, doomed.id)).status).toBe(404);
      const events = (await readTopic(iso.topic)).filter((r) => r.key === String(doomed.id));
      expect(events.map((r) => r.json.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyDeleted']);
      expect(events[1].partition).toBe(events[0].partition);
      expect(events[1].offset).toBeGreaterThan(events[0].offset);
      expect(events[1].json).toMatchObject({ api_key_id: doomed.id, user_id: alice.userId });
    });

    it('lets exactly one of several simultaneous DELETEs of a key succeed, and only it leaves an event', async () => {
      const doomed = await createKey(service, alice.key, { name: 'Raced' });
      const replies = await Promise.all(Array.from({ length: 5 }, () => del(alice.key, doomed.id)));
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 404, 404, 404, 404]);
      for (const reply of replies.filter((r) => r.status === 404)) expectErrorEnvelope(reply, 404);
      expectErrorEnvelope(await get(alice.key, doomed.id), 404);
      const deletions = (await readTopic(iso.topic)).filter(
        (r) => r.json?.api_key_id === doomed.id && r.json.event_type === 'ApiKeyDeleted',
      );
      expect(deletions).toHaveLength(1);
    });

    it('leaves no event for a PUT that loses a race with the DELETE of its key', async () => {
      for (let round = 0; round < 5; round++) {
        const doomed = await createKey(service, alice.key, { name: `Raced ${round}` });
        const [update, removal] = await Promise.all([put(alice.key, doomed.id), del(alice.key, doomed.id)]);
        expect(removal.status).toBe(200);
        const updates = (await readTopic(iso.topic)).filter(
          (r) => r.json?.api_key_id === doomed.id && r.json.event_type === 'ApiKeyUpdated',
        );
        // Either the PUT came first (200, one event) or it found the key gone (404, no event).
        expect(updates).toHaveLength(update.status === 200 ? 1 : 0);
      }
    });

    it('does not affect the owner’s other keys', async () => {
      const keep = await createKey(service, alice.key, { name: 'Kept' });
      const doomed = await createKey(service, alice.key, { name: 'Dropped' });
      expect((await del(alice.key, doomed.id)).status).toBe(200);
      const reply = await get(alice.key, keep.id);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toEqual({ ...keep, key_value: null });
      expect((await call(service.url, 'GET', API_KEYS_PATH, { key: keep.key_value! })).status).toBe(200);
    });
  });
});
