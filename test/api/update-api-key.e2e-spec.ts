import { call } from '../support/http';
import {
  createKey,
  deleteKey,
  eventsOfKey,
  expectRefusedWithoutEvent,
  getKey,
  keyPath,
  updateKey,
} from '../support/keys';
import { newUser, useService, waitUntil } from '../support/service';
import { readTopic } from '../support/topic';

describe('PUT /api/v1/api_keys/:id', () => {
  // Room for the concurrency tests' bursts on one key (the limit itself is tested in test/limits).
  const suite = useService('update', ['alice', 'bob'], { KEY_QUEUE_LIMIT: '64' });
  const { iso } = suite;

  describe('the reference example', () => {
    it('answers byte for byte like the published reference, with this key and this time', async () => {
      const key = await createKey(suite.service, suite.alice.key, { transient_assistant: false });
      const reply = await updateKey(suite.service, suite.alice.key, key.id, {
        name: 'Updated Production Key',
        allowed_origins: ['https://example.com', 'https://app.example.com'],
        allowed_assistants: ['123', '456'],
      });
      expect(reply.status).toBe(200);
      const { updated_at } = reply.body.data;
      expect(updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      const expected =
        `{"status":{"code":200,"message":"API key updated successfully"},"data":{"id":${key.id},"key_type":"private",` +
        `"name":"Updated Production Key","key_value":null,"allowed_origins":["https://example.com","https://app.example.com"],` +
        `"allowed_assistants":["123","456"],"transient_assistant":false,"user_id":${suite.alice.userId},"user_email":"${suite.alice.email}",` +
        `"created_at":"${key.created_at}","updated_at":"${updated_at}"`;
      // The reference's answer, byte for byte, then the fields the key grew since (issue 18).
      expect(reply.text).toBe(
        `${expected},"expires_at":null,"enabled":true,"meta":{},"previous_key_expires_at":null}}`,
      );
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    });
  });

  describe('partial updates', () => {
    it('keeps the fields a request leaves out and replaces arrays whole', async () => {
      const key = await createKey(suite.service, suite.alice.key, {
        allowed_origins: ['https://a.example'],
        allowed_assistants: ['1', '2'],
      });
      const renamed = await updateKey(suite.service, suite.alice.key, key.id, { name: 'Renamed' });
      expect(renamed.body.data).toMatchObject({
        name: 'Renamed',
        allowed_origins: ['https://a.example'],
        allowed_assistants: ['1', '2'],
      });
      const reassigned = await updateKey(suite.service, suite.alice.key, key.id, { allowed_assistants: ['3'] });
      expect(reassigned.body.data).toMatchObject({
        name: 'Renamed',
        allowed_origins: ['https://a.example'],
        allowed_assistants: ['3'],
      });
      const cleared = await updateKey(suite.service, suite.alice.key, key.id, { allowed_origins: [] });
      expect(cleared.body.data).toMatchObject({ name: 'Renamed', allowed_origins: [], allowed_assistants: ['3'] });
      const read = await getKey(suite.service, suite.alice.key, key.id);
      expect(read.body.data).toEqual(cleared.body.data);
    });

    it('trims the name and never returns the key value', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      const reply = await updateKey(suite.service, suite.alice.key, key.id, { name: '  Padded  ' });
      expect(reply.body.data.name).toBe('Padded');
      expect(reply.body.data.key_value).toBeNull();
    });

    it('accepts Authorization: Bearer as well as X-API-Key', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      const reply = await call(suite.service.url, 'PUT', keyPath(key.id), {
        headers: { Authorization: `Bearer ${suite.alice.key}` },
        body: { api_key: { name: 'Via bearer' } },
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data.name).toBe('Via bearer');
    });
  });

  describe('the event', () => {
    it('appends one ApiKeyUpdated whose data.changes holds exactly the fields the request set', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      const reply = await updateKey(
        suite.service,
        suite.alice.key,
        key.id,
        { name: 'Evented', allowed_assistants: ['9'] },
        { 'X-Request-Id': 'req-update-1' },
      );
      expect(reply.status).toBe(200);
      expect(reply.headers.get('x-request-id')).toBe('req-update-1');
      const events = await eventsOfKey(iso.topic, key.id, 'ApiKeyUpdated');
      expect(events).toHaveLength(1);
      const [record] = events;
      expect(record.key).toBe(String(key.id));
      expect(record.json).toEqual({
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        event_type: 'ApiKeyUpdated',
        schema_version: 3,
        api_key_id: key.id,
        user_id: suite.alice.userId,
        actor_key_id: suite.alice.keyId,
        occurred_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
        correlation_id: 'req-update-1',
        data: { changes: { name: 'Evented', allowed_assistants: ['9'] } },
      });
      expect(record.headers).toMatchObject({
        ce_specversion: '1.0',
        ce_id: record.json.event_id,
        ce_type: 'ApiKeyUpdated',
        ce_source: expect.any(String),
        ce_time: record.json.occurred_at,
        ce_subject: String(key.id),
        'content-type': 'application/json',
      });
    });

    it('uses a generated correlation id when the request has none, and echoes it', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      const reply = await updateKey(suite.service, suite.alice.key, key.id, { name: 'No request id' });
      const requestId = reply.headers.get('x-request-id');
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      const events = await eventsOfKey(iso.topic, key.id, 'ApiKeyUpdated');
      expect(events.map((e) => e.json.correlation_id)).toEqual([requestId]);
    });
  });

  describe('who may update what', () => {
    it('answers 404, like a missing key, for another user’s key, and changes nothing', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      const theirs = await expectRefusedWithoutEvent(iso.topic, 404, () =>
        updateKey(suite.service, suite.bob.key, key.id, { name: 'Hijack' }),
      );
      const missing = await updateKey(suite.service, suite.bob.key, 999999, { name: 'Hijack' });
      expect(theirs.body).toEqual(missing.body);
      expect((await getKey(suite.service, suite.alice.key, key.id)).body.data).toEqual({ ...key, key_value: null });
    });

    it.each(['abc', '1.5', '-1', '0', '1e3', '99999999999999999999'])(
      'answers 404 for the non-integer or out-of-range id %s',
      async (id) => {
        await expectRefusedWithoutEvent(iso.topic, 404, () =>
          updateKey(suite.service, suite.alice.key, id, { name: 'x' }),
        );
      },
    );

    it('answers 404 for a deleted key', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      expect((await deleteKey(suite.service, suite.alice.key, key.id)).status).toBe(200);
      await expectRefusedWithoutEvent(iso.topic, 404, () =>
        updateKey(suite.service, suite.alice.key, key.id, { name: 'Too late' }),
      );
    });

    it('answers 401 without credentials or with an unknown key', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      await expectRefusedWithoutEvent(iso.topic, 401, () =>
        call(suite.service.url, 'PUT', keyPath(key.id), { body: { api_key: { name: 'x' } } }),
      );
      await expectRefusedWithoutEvent(iso.topic, 401, () =>
        updateKey(suite.service, 'vk_priv_' + 'A'.repeat(43), key.id, { name: 'x' }),
      );
      await expectRefusedWithoutEvent(iso.topic, 401, () =>
        updateKey(suite.service, 'not-a-key', key.id, { name: 'x' }),
      );
    });

    it('answers 403 to a public key', async () => {
      const publicKey = await createKey(suite.service, suite.alice.key, { key_type: 'public' });
      const key = await createKey(suite.service, suite.alice.key);
      await expectRefusedWithoutEvent(iso.topic, 403, () =>
        updateKey(suite.service, publicKey.key_value!, key.id, { name: 'x' }),
      );
    });
  });

  // Every field rule is in update-api-key.request.spec.ts; these prove the route applies them.
  describe('an invalid body: 422 naming the field, no event, no change', () => {
    it.each([
      ['a field an update cannot set', { name: 'ok', key_type: 'public' }, 'api_key.key_type is not allowed'],
      [
        'no field at all',
        {},
        'api_key must set at least one of name, allowed_origins, allowed_assistants, expires_at, enabled, meta',
      ],
      ['a name with a newline', { name: 'a\nb' }, 'api_key.name must not contain control characters'],
    ])('refuses %s', async (_, fields, problem) => {
      const key = await createKey(suite.service, suite.alice.key);
      const reply = await expectRefusedWithoutEvent(iso.topic, 422, () =>
        updateKey(suite.service, suite.alice.key, key.id, fields),
      );
      expect(reply.body.errors).toContain(problem);
      expect((await getKey(suite.service, suite.alice.key, key.id)).body.data).toEqual({ ...key, key_value: null });
    });
  });

  describe('read-your-writes', () => {
    it('answers each of 40 sequential PUTs with its own value', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      for (let i = 0; i < 40; i++) {
        const reply = await updateKey(suite.service, suite.alice.key, key.id, {
          name: `sequential ${i}`,
          allowed_assistants: [`a${i}`],
        });
        expect(reply.status).toBe(200);
        expect(reply.body.data).toMatchObject({ name: `sequential ${i}`, allowed_assistants: [`a${i}`] });
      }
    });

    it('answers 40 concurrent PUTs with 200 each, each showing its own change or a later one, ending at the last event in the log', async () => {
      const key = await createKey(suite.service, suite.alice.key);
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          updateKey(
            suite.service,
            suite.alice.key,
            key.id,
            { name: `concurrent ${i}` },
            { 'X-Request-Id': `concurrent-${key.id}-${i}` },
          ),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(40).fill(200));
      const updates = await eventsOfKey(iso.topic, key.id, 'ApiKeyUpdated');
      expect(updates).toHaveLength(40);
      const logPosition = new Map(updates.map((u, index) => [u.json.data.changes.name as string, index]));
      replies.forEach((reply, i) => {
        // The name shown is this request's own or one that came after it in the log.
        expect(logPosition.get(reply.body.data.name)).toBeGreaterThanOrEqual(logPosition.get(`concurrent ${i}`)!);
      });
      const final = await getKey(suite.service, suite.alice.key, key.id);
      expect(final.body.data.name).toBe(updates[updates.length - 1].json.data.changes.name);
    });

    it('never loses either of two concurrent updates of different fields', async () => {
      for (let round = 0; round < 5; round++) {
        const key = await createKey(suite.service, suite.alice.key);
        const [a, b] = await Promise.all([
          updateKey(suite.service, suite.alice.key, key.id, { name: `both ${round}` }),
          updateKey(suite.service, suite.alice.key, key.id, { allowed_origins: [`https://r${round}.example`] }),
        ]);
        expect([a.status, b.status]).toEqual([200, 200]);
        const final = await getKey(suite.service, suite.alice.key, key.id);
        expect(final.body.data).toMatchObject({
          name: `both ${round}`,
          allowed_origins: [`https://r${round}.example`],
        });
      }
    });
  });
});

describe('PUT when the projection cannot catch up in time', () => {
  // A zero bound: the answer can never wait for the projector, so it must say "accepted".
  const suite = useService('update-202', [], { READ_YOUR_WRITES_TIMEOUT_MS: '0' });

  it('answers 202 with the key id and event id, never 200 with stale data, and the change still lands', async () => {
    const user = await newUser(suite.service);
    const reply = await updateKey(suite.service, user.key, user.keyId, { name: 'Eventually' });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({
      status: { code: 202, message: expect.stringMatching(/accepted/i) },
      data: { id: user.keyId, event_id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    const events = (await readTopic(suite.iso.topic)).filter((r) => r.json?.event_id === reply.body.data.event_id);
    expect(events).toHaveLength(1);
    await waitUntil(
      async () => (await getKey(suite.service, user.key, user.keyId)).body.data.name === 'Eventually',
      10000,
      'the accepted change to be applied',
    );
  });
});
