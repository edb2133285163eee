import { call, expectErrorEnvelope } from '../support/http';
import { API_KEYS_PATH, ApiKeyData, createKey, expectRefusedWithoutEvent, getKey, listKeys } from '../support/keys';
import { newUser, useService } from '../support/service';
import { readTopic } from '../support/topic';

const ISO_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const origins = (n: number) => Array.from({ length: n }, (_, i) => `https://app${i}.example.com`);
const assistants = (n: number) => Array.from({ length: n }, (_, i) => `assistant-${i}`);
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe('POST /api/v1/api_keys', () => {
  // Room for the concurrency tests' bursts on one user (the limit itself is tested in test/limits).
  const suite = useService('create', ['alice'], { KEY_QUEUE_LIMIT: '64' });
  const { iso } = suite;

  const post = (body: unknown, key = suite.alice.key) => call(suite.service.url, 'POST', API_KEYS_PATH, { key, body });

  describe('a valid request', () => {
    it('answers 201 with the whole key, its key_value included exactly once', async () => {
      const reply = await post({
        api_key: {
          name: 'Production Key',
          key_type: 'private',
          allowed_origins: ['https://example.com', 'http://localhost:3000'],
          allowed_assistants: ['123', '456'],
          transient_assistant: true,
        },
      });
      expect(reply.status).toBe(201);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body.status).toEqual({ code: 201, message: expect.any(String) });
      const key: ApiKeyData = reply.body.data;
      expect(Object.keys(key)).toEqual([
        'id',
        'key_type',
        'name',
        'key_value',
        'allowed_origins',
        'allowed_assistants',
        'transient_assistant',
        'user_id',
        'user_email',
        'created_at',
        'updated_at',
        'expires_at',
        'enabled',
        'meta',
        'previous_key_expires_at',
      ]);
      expect(key).toEqual({
        id: expect.any(Number),
        key_type: 'private',
        name: 'Production Key',
        key_value: expect.stringMatching(/^vk_priv_[0-9A-Za-z]{49}$/),
        allowed_origins: ['https://example.com', 'http://localhost:3000'],
        allowed_assistants: ['123', '456'],
        transient_assistant: true,
        user_id: suite.alice.userId,
        user_email: suite.alice.email,
        created_at: expect.stringMatching(ISO_SECOND),
        updated_at: key.created_at,
        expires_at: null,
        enabled: true,
        meta: {},
        previous_key_expires_at: null,
      });
      expect(Number.isSafeInteger(key.id) && key.id > 0).toBe(true);
      expect(occurrences(reply.text, key.key_value!)).toBe(1);
    });

    it('defaults allowed_origins and allowed_assistants to [] and transient_assistant to false', async () => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'Minimal', key_type: 'public' });
      expect(key).toMatchObject({
        key_type: 'public',
        allowed_origins: [],
        allowed_assistants: [],
        transient_assistant: false,
      });
      expect(key.key_value).toMatch(/^vk_pub_[0-9A-Za-z]{49}$/);
    });

    it('stores the name trimmed', async () => {
      const key = await createKey(suite.service, suite.alice.key, { name: '   Padded name  ' });
      expect(key.name).toBe('Padded name');
      const read = await getKey(suite.service, suite.alice.key, key.id);
      expect(read.body.data.name).toBe('Padded name');
    });

    it.each([
      [
        'the longest name and the most origins and assistants the rules allow',
        {
          name: 'n'.repeat(255),
          allowed_origins: origins(50),
          allowed_assistants: assistants(100),
          transient_assistant: false,
        },
      ],
      [
        'a non-ASCII name and origins with a port, an IP address and IPv6',
        {
          name: 'Clé de production – 東京 🔑',
          allowed_origins: ['https://app.example.com:8443', 'http://127.0.0.1:3000', 'http://[::1]:8080'],
          allowed_assistants: [],
        },
      ],
    ])('stores and returns %s exactly as sent', async (_, fields) => {
      const key = await createKey(suite.service, suite.alice.key, fields);
      expect(key).toMatchObject(fields);
      const read = await getKey(suite.service, suite.alice.key, key.id);
      expect(read.body.data).toEqual({ ...key, key_value: null });
    });

    it('shows key_value only in the 201: GET and the list show null and never the secret', async () => {
      const created = await createKey(suite.service, suite.alice.key, { name: 'Shown once' });
      const one = await getKey(suite.service, suite.alice.key, created.id);
      expect(one.status).toBe(200);
      expect(one.body.data).toEqual({ ...created, key_value: null });
      const list = await listKeys(suite.service, suite.alice.key);
      expect(list.status).toBe(200);
      expect(list.body.data.find((k: ApiKeyData) => k.id === created.id)).toEqual({ ...created, key_value: null });
      for (const k of list.body.data) expect(k.key_value).toBeNull();
      for (const text of [one.text, list.text]) {
        expect(text).not.toContain(created.key_value);
        expect(text).not.toContain(suite.alice.key);
      }
    });

    it('makes the new private key usable as soon as the 201 answered', async () => {
      const created = await createKey(suite.service, suite.alice.key, { name: 'Usable at once' });
      const reply = await getKey(suite.service, created.key_value!, created.id);
      expect(reply.status).toBe(200);
    });

    it('gives each key a new, increasing integer id', async () => {
      const first = await createKey(suite.service, suite.alice.key, { name: 'First' });
      const second = await createKey(suite.service, suite.alice.key, { name: 'Second' });
      expect(second.id).toBeGreaterThan(first.id);
      expect(second.key_value).not.toBe(first.key_value);
    });
  });

  describe('concurrent creates', () => {
    it('gives 30 parallel creates of one user 30 distinct ids, all listed in id order', async () => {
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          post({ api_key: { name: `Parallel ${i}`, key_type: i % 3 === 0 ? 'public' : 'private' } }),
        ),
      );
      for (const reply of replies) expect(reply.status).toBe(201);
      const created: ApiKeyData[] = replies.map((r) => r.body.data);
      const ids = created.map((k) => k.id);
      expect(new Set(ids).size).toBe(30);
      expect(new Set(created.map((k) => k.key_value)).size).toBe(30);
      const list = await listKeys(suite.service, suite.alice.key);
      const listed: number[] = list.body.data.map((k: ApiKeyData) => k.id);
      expect(listed).toEqual([...listed].sort((a, b) => a - b));
      expect(listed).toEqual(expect.arrayContaining(ids));
      for (const key of created)
        expect(list.body.data.find((k: ApiKeyData) => k.id === key.id)).toEqual({ ...key, key_value: null });
    });

    it('gives parallel creates of several users distinct ids, each listed only for its owner', async () => {
      const users = [suite.alice, await newUser(suite.service), await newUser(suite.service)];
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          post({ api_key: { name: `User ${i % 3} key ${i}`, key_type: 'private' } }, users[i % 3].key),
        ),
      );
      for (const reply of replies) expect(reply.status).toBe(201);
      const ids = replies.map((r) => r.body.data.id as number);
      expect(new Set(ids).size).toBe(30);
      for (const [index, user] of users.entries()) {
        const mine = replies.filter((_, i) => i % 3 === index).map((r) => r.body.data.id as number);
        const list = await listKeys(suite.service, user.key);
        const listed: ApiKeyData[] = list.body.data;
        expect(listed.every((k) => k.user_id === user.userId)).toBe(true);
        expect(listed.map((k) => k.id)).toEqual(expect.arrayContaining(mine));
      }
    });

    it('records exactly one ApiKeyCreated per created key, keyed by its id', async () => {
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => post({ api_key: { name: `Logged ${i}`, key_type: 'private' } })),
      );
      const ids = replies.map((r) => r.body.data.id as number);
      const created = (await readTopic(iso.topic)).filter((r) => r.json?.event_type === 'ApiKeyCreated');
      for (const id of ids) {
        const mine = created.filter((r) => r.json.api_key_id === id);
        expect(mine).toHaveLength(1);
        expect(mine[0].key).toBe(String(id));
      }
      const allIds = created.map((r) => r.json.api_key_id);
      expect(new Set(allIds).size).toBe(allIds.length);
    });
  });

  // Every field rule is in create-api-key.request.spec.ts; these prove the route applies them.
  describe('an invalid body: 422 naming the field, no event, no key', () => {
    it.each([
      ['a body that is not an object', JSON.stringify([{ name: 'x', key_type: 'private' }]), 'JSON object'],
      [
        'an unknown field',
        JSON.stringify({ api_key: { name: 'x', key_type: 'private', colour: 'blue' } }),
        'api_key.colour',
      ],
      [
        'a smuggled __proto__',
        '{"api_key":{"name":"Polluter","key_type":"private","__proto__":{"admin":true}}}',
        'api_key.__proto__',
      ],
    ])('refuses %s', async (_, rawBody, field) => {
      const before = await listKeys(suite.service, suite.alice.key);
      const reply = await expectRefusedWithoutEvent(iso.topic, 422, () =>
        call(suite.service.url, 'POST', API_KEYS_PATH, {
          key: suite.alice.key,
          rawBody,
          headers: { 'Content-Type': 'application/json' },
        }),
      );
      expect(reply.body.errors).toContainEqual(expect.stringContaining(field));
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      expect((await listKeys(suite.service, suite.alice.key)).body).toEqual(before.body);
    });

    it('never echoes a rejected key_value back', async () => {
      const reply = await post({
        api_key: { name: 'Valid name', key_type: 'private', key_value: 'vk_priv_SECRET_THE_CLIENT_CHOSE' },
      });
      expectErrorEnvelope(reply, 422);
      expect(reply.text).not.toContain('SECRET_THE_CLIENT_CHOSE');
    });
  });
});
