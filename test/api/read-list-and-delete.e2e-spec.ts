import { Reply, call, expectErrorEnvelope } from '../support/http';
import {
  API_KEYS_PATH,
  ApiKeyData,
  createKey,
  deleteKey,
  eventsOfKey,
  expectRefusedWithoutEvent,
  getKey,
  listKeys,
  updateKey,
} from '../support/keys';
import { newUser, useService } from '../support/service';

/** Ids no key will ever have in this suite's fresh database. */
const MISSING_ID = 987654321;
/** A valid change, for PUTs that must be refused. */
const TAKE_OVER = { name: 'Taken over' };

describe('reading, listing and deleting keys, owners only', () => {
  const suite = useService('read-delete', ['alice', 'bob']);
  const { iso } = suite;

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
      const created = await createKey(suite.service, suite.alice.key, {
        name: 'Read me',
        allowed_assistants: ['a1'],
        transient_assistant: true,
      });
      const reply = await getKey(suite.service, suite.alice.key, created.id);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        status: { code: 200, message: expect.any(String) },
        data: { ...created, key_value: null },
      });
    });

    it.each([['0'], ['-1'], ['1.5'], ['abc'], ['1e3'], ['01'], ['99999999999999999999'], [String(MISSING_ID)]])(
      'answers a path id %s that names no key with the same 404 as a missing key',
      async (id) => {
        await expectSameAsMissing(await getKey(suite.service, suite.alice.key, id), () =>
          getKey(suite.service, suite.alice.key, MISSING_ID),
        );
      },
    );
  });

  describe('GET /api/v1/api_keys', () => {
    it('lists only the caller’s live keys, ordered by id, key_value always null', async () => {
      const carol = await newUser(suite.service);
      const created = [
        await createKey(suite.service, carol.key, { name: 'c1' }),
        await createKey(suite.service, carol.key, { name: 'c2', key_type: 'public' }),
        await createKey(suite.service, carol.key, { name: 'c3' }),
      ];
      await createKey(suite.service, suite.alice.key, { name: 'Not carol’s' });
      expect((await deleteKey(suite.service, carol.key, created[1].id)).status).toBe(200);
      const reply = await listKeys(suite.service, carol.key);
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
      const dave = await newUser(suite.service);
      const reply = await listKeys(suite.service, dave.key);
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
      alicesKey = await createKey(suite.service, suite.alice.key, {
        name: 'Alice only',
        allowed_origins: ['https://alice.example.com'],
      });
    });

    it('answers GET of another user’s key with the same 404 as a missing key', async () => {
      await expectSameAsMissing(await getKey(suite.service, suite.bob.key, alicesKey.id), () =>
        getKey(suite.service, suite.bob.key, MISSING_ID),
      );
      await expectSameAsMissing(await getKey(suite.service, suite.alice.key, suite.bob.keyId), () =>
        getKey(suite.service, suite.alice.key, MISSING_ID),
      );
    });

    it('answers PUT of another user’s key with the same 404 as a missing key, and records nothing', async () => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 404, () =>
        updateKey(suite.service, suite.bob.key, alicesKey.id, TAKE_OVER),
      );
      await expectSameAsMissing(reply, () => updateKey(suite.service, suite.bob.key, MISSING_ID, TAKE_OVER));
    });

    it('answers DELETE of another user’s key with the same 404 as a missing key, and records nothing', async () => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 404, () =>
        deleteKey(suite.service, suite.bob.key, alicesKey.id),
      );
      await expectSameAsMissing(reply, () => deleteKey(suite.service, suite.bob.key, MISSING_ID));
    });

    it('answers PUT with an invalid body on another user’s key without revealing that it exists', async () => {
      const foreign = await updateKey(suite.service, suite.bob.key, alicesKey.id, { name: '' });
      const missing = await updateKey(suite.service, suite.bob.key, MISSING_ID, { name: '' });
      expect(foreign.status).toBe(missing.status);
      expect(foreign.body).toEqual(missing.body);
    });

    it('keeps each user’s list to their own keys', async () => {
      const bobs = await listKeys(suite.service, suite.bob.key);
      expect(bobs.body.data.map((k: ApiKeyData) => k.id)).toContain(suite.bob.keyId);
      expect(bobs.body.data.map((k: ApiKeyData) => k.id)).not.toContain(alicesKey.id);
      expect(bobs.body.data.every((k: ApiKeyData) => k.user_id === suite.bob.userId)).toBe(true);
      const alices = await listKeys(suite.service, suite.alice.key);
      expect(alices.body.data.map((k: ApiKeyData) => k.id)).toContain(alicesKey.id);
      expect(alices.body.data.map((k: ApiKeyData) => k.id)).not.toContain(suite.bob.keyId);
      expect(alices.body.data.every((k: ApiKeyData) => k.user_id === suite.alice.userId)).toBe(true);
    });

    it('leaves the key exactly as it was after the other user’s attempts', async () => {
      await updateKey(suite.service, suite.bob.key, alicesKey.id, TAKE_OVER);
      await deleteKey(suite.service, suite.bob.key, alicesKey.id);
      const reply = await getKey(suite.service, suite.alice.key, alicesKey.id);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toEqual({ ...alicesKey, key_value: null });
      expect((await listKeys(suite.service, alicesKey.key_value!)).status).toBe(200);
    });

    it('does not let a key of one user act on another user’s keys through the Bearer header either', async () => {
      const reply = await call(suite.service.url, 'GET', `${API_KEYS_PATH}/${alicesKey.id}`, {
        headers: { Authorization: `Bearer ${suite.bob.key}` },
      });
      await expectSameAsMissing(reply, () => getKey(suite.service, suite.bob.key, MISSING_ID));
    });
  });

  describe('DELETE /api/v1/api_keys/:id', () => {
    it('answers 200 in the envelope with the revoked key, key_value null', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'To delete' });
      const reply = await deleteKey(suite.service, suite.alice.key, doomed.id);
      expect(reply.status).toBe(200);
      expect(reply.body.status).toEqual({ code: 200, message: expect.any(String) });
      expect(reply.body.data).toEqual(
        expect.objectContaining({ id: doomed.id, key_value: null, user_id: suite.alice.userId, name: 'To delete' }),
      );
      expect(reply.text).not.toContain(doomed.key_value);
    });

    it('makes GET, PUT and DELETE of the key 404 like a missing key once it answered', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Gone' });
      expect((await deleteKey(suite.service, suite.alice.key, doomed.id)).status).toBe(200);
      await expectSameAsMissing(await getKey(suite.service, suite.alice.key, doomed.id), () =>
        getKey(suite.service, suite.alice.key, MISSING_ID),
      );
      await expectSameAsMissing(
        await expectRefusedWithoutEvent(iso.topic, 404, () =>
          updateKey(suite.service, suite.alice.key, doomed.id, TAKE_OVER),
        ),
        () => updateKey(suite.service, suite.alice.key, MISSING_ID, TAKE_OVER),
      );
      await expectSameAsMissing(
        await expectRefusedWithoutEvent(iso.topic, 404, () => deleteKey(suite.service, suite.alice.key, doomed.id)),
        () => deleteKey(suite.service, suite.alice.key, MISSING_ID),
      );
    });

    it('drops the key from the list once it answered', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Unlisted' });
      expect((await listKeys(suite.service, suite.alice.key)).body.data.map((k: ApiKeyData) => k.id)).toContain(
        doomed.id,
      );
      expect((await deleteKey(suite.service, suite.alice.key, doomed.id)).status).toBe(200);
      expect((await listKeys(suite.service, suite.alice.key)).body.data.map((k: ApiKeyData) => k.id)).not.toContain(
        doomed.id,
      );
    });

    it('records exactly one ApiKeyDeleted for the key, after its creation on the same partition', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Deleted once' });
      expect((await deleteKey(suite.service, suite.alice.key, doomed.id)).status).toBe(200);
      expect((await deleteKey(suite.service, suite.alice.key, doomed.id)).status).toBe(404);
      const events = await eventsOfKey(iso.topic, doomed.id);
      expect(events.map((r) => r.json.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyDeleted']);
      expect(events.map((r) => r.key)).toEqual([String(doomed.id), String(doomed.id)]);
      expect(events[1].partition).toBe(events[0].partition);
      expect(events[1].offset).toBeGreaterThan(events[0].offset);
      expect(events[1].json).toMatchObject({ api_key_id: doomed.id, user_id: suite.alice.userId });
    });

    it('lets exactly one of several simultaneous DELETEs of a key succeed, and only it leaves an event', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Raced' });
      const replies = await Promise.all(
        Array.from({ length: 5 }, () => deleteKey(suite.service, suite.alice.key, doomed.id)),
      );
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 404, 404, 404, 404]);
      for (const reply of replies.filter((r) => r.status === 404)) expectErrorEnvelope(reply, 404);
      expectErrorEnvelope(await getKey(suite.service, suite.alice.key, doomed.id), 404);
      const deletions = await eventsOfKey(iso.topic, doomed.id, 'ApiKeyDeleted');
      expect(deletions).toHaveLength(1);
    });

    it('leaves no event for a PUT that loses a race with the DELETE of its key', async () => {
      for (let round = 0; round < 5; round++) {
        const doomed = await createKey(suite.service, suite.alice.key, { name: `Raced ${round}` });
        const [update, removal] = await Promise.all([
          updateKey(suite.service, suite.alice.key, doomed.id, TAKE_OVER),
          deleteKey(suite.service, suite.alice.key, doomed.id),
        ]);
        expect(removal.status).toBe(200);
        const updates = await eventsOfKey(iso.topic, doomed.id, 'ApiKeyUpdated');
        // Either the PUT came first (200, one event) or it found the key gone (404, no event).
        expect(updates).toHaveLength(update.status === 200 ? 1 : 0);
      }
    });

    it('does not affect the owner’s other keys', async () => {
      const keep = await createKey(suite.service, suite.alice.key, { name: 'Kept' });
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Dropped' });
      expect((await deleteKey(suite.service, suite.alice.key, doomed.id)).status).toBe(200);
      const reply = await getKey(suite.service, suite.alice.key, keep.id);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toEqual({ ...keep, key_value: null });
      expect((await listKeys(suite.service, keep.key_value!)).status).toBe(200);
    });
  });
});
