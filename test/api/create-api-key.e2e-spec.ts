import { call, expectErrorEnvelope } from '../support/http';
import { API_KEYS_PATH, ApiKeyData, createKey, expectRefusedWithoutEvent } from '../support/keys';
import { RunningService, isolation, newUser, startService, testConfig } from '../support/service';
import { readTopic } from '../support/topic';

type User = Awaited<ReturnType<typeof newUser>>;

const ISO_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const origins = (n: number) => Array.from({ length: n }, (_, i) => `https://app${i}.example.com`);
const assistants = (n: number) => Array.from({ length: n }, (_, i) => `assistant-${i}`);
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe('POST /api/v1/api_keys', () => {
  const iso = isolation('create');
  let service: RunningService;
  let alice: User;

  beforeAll(async () => {
    service = await startService(testConfig(iso));
    alice = await newUser(service);
  });
  afterAll(() => service?.close());

  const post = (body: unknown, key = alice.key) => call(service.url, 'POST', API_KEYS_PATH, { key, body });

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
      ]);
      expect(key).toEqual({
        id: expect.any(Number),
        key_type: 'private',
        name: 'Production Key',
        key_value: expect.stringMatching(/^vk_priv_[A-Za-z0-9_-]{43}$/),
        allowed_origins: ['https://example.com', 'http://localhost:3000'],
        allowed_assistants: ['123', '456'],
        transient_assistant: true,
        user_id: alice.userId,
        user_email: alice.email,
        created_at: expect.stringMatching(ISO_SECOND),
        updated_at: key.created_at,
      });
      expect(Number.isSafeInteger(key.id) && key.id > 0).toBe(true);
      expect(occurrences(reply.text, key.key_value!)).toBe(1);
    });

    it('defaults allowed_origins and allowed_assistants to [] and transient_assistant to false', async () => {
      const key = await createKey(service, alice.key, { name: 'Minimal', key_type: 'public' });
      expect(key).toMatchObject({
        key_type: 'public',
        allowed_origins: [],
        allowed_assistants: [],
        transient_assistant: false,
      });
      expect(key.key_value).toMatch(/^vk_pub_[A-Za-z0-9_-]{43}$/);
    });

    it('stores the name trimmed', async () => {
      const key = await createKey(service, alice.key, { name: '   Padded name  ' });
      expect(key.name).toBe('Padded name');
      const read = await call(service.url, 'GET', `${API_KEYS_PATH}/${key.id}`, { key: alice.key });
      expect(read.body.data.name).toBe('Padded name');
    });

    it.each([
      ['a name of exactly 255 characters', { name: 'n'.repeat(255) }],
      ['a 255-character name with surrounding spaces', { name: `  ${'n'.repeat(255)}  ` }],
      ['a one-character name', { name: 'x' }],
      ['a name with non-ASCII letters and emoji', { name: 'Clé de production – 東京 🔑' }],
      [
        'origins with a port, an IP address and IPv6',
        { allowed_origins: ['https://app.example.com:8443', 'http://127.0.0.1:3000', 'http://[::1]:8080'] },
      ],
      ['the maximum number of origins (50)', { allowed_origins: origins(50) }],
      ['the maximum number of assistants (100)', { allowed_assistants: assistants(100) }],
      ['explicitly empty lists', { allowed_origins: [], allowed_assistants: [] }],
      ['transient_assistant false', { transient_assistant: false }],
    ])('accepts %s', async (_, fields) => {
      const key = await createKey(service, alice.key, { name: 'Valid', ...fields });
      for (const [field, value] of Object.entries(fields)) {
        expect(key[field as keyof ApiKeyData]).toEqual(field === 'name' ? String(value).trim() : value);
      }
    });

    it('shows key_value only in the 201: GET and the list show null and never the secret', async () => {
      const created = await createKey(service, alice.key, { name: 'Shown once' });
      const one = await call(service.url, 'GET', `${API_KEYS_PATH}/${created.id}`, { key: alice.key });
      expect(one.status).toBe(200);
      expect(one.body.data).toEqual({ ...created, key_value: null });
      const list = await call(service.url, 'GET', API_KEYS_PATH, { key: alice.key });
      expect(list.status).toBe(200);
      expect(list.body.data.find((k: ApiKeyData) => k.id === created.id)).toEqual({ ...created, key_value: null });
      for (const k of list.body.data) expect(k.key_value).toBeNull();
      for (const text of [one.text, list.text]) {
        expect(text).not.toContain(created.key_value);
        expect(text).not.toContain(alice.key);
      }
    });

    it('makes the new private key usable as soon as the 201 answered', async () => {
      const created = await createKey(service, alice.key, { name: 'Usable at once' });
      const reply = await call(service.url, 'GET', `${API_KEYS_PATH}/${created.id}`, { key: created.key_value! });
      expect(reply.status).toBe(200);
    });

    it('gives each key a new, increasing integer id', async () => {
      const first = await createKey(service, alice.key, { name: 'First' });
      const second = await createKey(service, alice.key, { name: 'Second' });
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
      const list = await call(service.url, 'GET', API_KEYS_PATH, { key: alice.key });
      const listed: number[] = list.body.data.map((k: ApiKeyData) => k.id);
      expect(listed).toEqual([...listed].sort((a, b) => a - b));
      expect(listed).toEqual(expect.arrayContaining(ids));
      for (const key of created)
        expect(list.body.data.find((k: ApiKeyData) => k.id === key.id)).toEqual({ ...key, key_value: null });
    });

    it('gives parallel creates of several users distinct ids, each listed only for its owner', async () => {
      const users = [alice, await newUser(service), await newUser(service)];
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
        const list = await call(service.url, 'GET', API_KEYS_PATH, { key: user.key });
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

  describe('validation: 422 naming the field, and no event on the topic', () => {
    const valid = { name: 'Valid name', key_type: 'private' };
    const withFields = (fields: Record<string, unknown>) => ({ api_key: { ...valid, ...fields } });
    const without = (field: string) => {
      const rest: Record<string, unknown> = { ...valid };
      delete rest[field];
      return { api_key: rest };
    };

    const cases: [string, unknown, string][] = [
      // the envelope object
      ['a body that is an array', [valid], 'JSON object'],
      ['a body that is a number', 42, 'JSON object'],
      ['a body that is null', null, 'JSON object'],
      ['a body without api_key', {}, 'api_key'],
      ['api_key that is a string', { api_key: 'key' }, 'api_key'],
      ['api_key that is an array', { api_key: [valid] }, 'api_key'],
      ['api_key that is null', { api_key: null }, 'api_key'],
      ['an unknown top-level field', { ...withFields({}), extra: true }, 'extra'],
      // name
      ['a missing name', without('name'), 'api_key.name'],
      ['a null name', withFields({ name: null }), 'api_key.name'],
      ['an empty name', withFields({ name: '' }), 'api_key.name'],
      ['a name of only spaces', withFields({ name: '    ' }), 'api_key.name'],
      ['a name of 256 characters', withFields({ name: 'n'.repeat(256) }), 'api_key.name'],
      ['a numeric name', withFields({ name: 12345 }), 'api_key.name'],
      ['a name that is an array', withFields({ name: ['a'] }), 'api_key.name'],
      ['a name with a newline', withFields({ name: 'line\nbreak' }), 'api_key.name'],
      ['a name with a trailing newline', withFields({ name: 'trailing\n' }), 'api_key.name'],
      ['a name with a NUL', withFields({ name: 'nul\u0000byte' }), 'api_key.name'],
      ['a name with a tab inside', withFields({ name: 'tab\there' }), 'api_key.name'],
      ['a name with DEL', withFields({ name: 'del\u007f' }), 'api_key.name'],
      ['a name with a C1 control', withFields({ name: 'c1\u0085' }), 'api_key.name'],
      ['a name with an ANSI escape', withFields({ name: '\u001b[31mred' }), 'api_key.name'],
      ['a name with a right-to-left override', withFields({ name: 'abc\u202Egpj.exe' }), 'api_key.name'],
      // key_type
      ['a missing key_type', without('key_type'), 'api_key.key_type'],
      ['a null key_type', withFields({ key_type: null }), 'api_key.key_type'],
      ['an unknown key_type', withFields({ key_type: 'admin' }), 'api_key.key_type'],
      ['an upper-case key_type', withFields({ key_type: 'PRIVATE' }), 'api_key.key_type'],
      ['a numeric key_type', withFields({ key_type: 1 }), 'api_key.key_type'],
      // allowed_origins
      [
        'allowed_origins that is a string',
        withFields({ allowed_origins: 'https://example.com' }),
        'api_key.allowed_origins',
      ],
      ['allowed_origins that is null', withFields({ allowed_origins: null }), 'api_key.allowed_origins'],
      ['an origin that is a number', withFields({ allowed_origins: [443] }), 'api_key.allowed_origins'],
      ['an origin without a scheme', withFields({ allowed_origins: ['example.com'] }), 'api_key.allowed_origins'],
      ['an ftp origin', withFields({ allowed_origins: ['ftp://example.com'] }), 'api_key.allowed_origins'],
      ['a javascript: origin', withFields({ allowed_origins: ['javascript:alert(1)'] }), 'api_key.allowed_origins'],
      ['a file: origin', withFields({ allowed_origins: ['file:///etc/passwd'] }), 'api_key.allowed_origins'],
      ['a wildcard origin', withFields({ allowed_origins: ['*'] }), 'api_key.allowed_origins'],
      [
        'an origin with a path',
        withFields({ allowed_origins: ['https://example.com/app'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a trailing slash',
        withFields({ allowed_origins: ['https://example.com/'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a query',
        withFields({ allowed_origins: ['https://example.com?x=1'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a fragment',
        withFields({ allowed_origins: ['https://example.com#top'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with credentials',
        withFields({ allowed_origins: ['https://user:pass@example.com'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with a user only',
        withFields({ allowed_origins: ['https://user@example.com'] }),
        'api_key.allowed_origins',
      ],
      ['an origin with no host', withFields({ allowed_origins: ['https://'] }), 'api_key.allowed_origins'],
      [
        'an origin with a non-numeric port',
        withFields({ allowed_origins: ['https://example.com:port'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with an out-of-range port',
        withFields({ allowed_origins: ['https://example.com:70000'] }),
        'api_key.allowed_origins',
      ],
      [
        'an origin with surrounding spaces',
        withFields({ allowed_origins: [' https://example.com '] }),
        'api_key.allowed_origins',
      ],
      ['an empty origin', withFields({ allowed_origins: [''] }), 'api_key.allowed_origins'],
      [
        'a valid origin followed by an invalid one',
        withFields({ allowed_origins: ['https://ok.example.com', 'https://bad.example.com/path'] }),
        'api_key.allowed_origins[1]',
      ],
      ['51 origins (over the maximum)', withFields({ allowed_origins: origins(51) }), 'api_key.allowed_origins'],
      [
        'a duplicated origin',
        withFields({ allowed_origins: ['https://example.com', 'https://example.com'] }),
        'api_key.allowed_origins',
      ],
      // allowed_assistants
      ['allowed_assistants that is a string', withFields({ allowed_assistants: '123' }), 'api_key.allowed_assistants'],
      ['allowed_assistants that is null', withFields({ allowed_assistants: null }), 'api_key.allowed_assistants'],
      ['an empty assistant id', withFields({ allowed_assistants: [''] }), 'api_key.allowed_assistants'],
      ['a numeric assistant id', withFields({ allowed_assistants: [123] }), 'api_key.allowed_assistants'],
      ['a null assistant id', withFields({ allowed_assistants: [null] }), 'api_key.allowed_assistants'],
      ['an object as assistant id', withFields({ allowed_assistants: [{ id: '1' }] }), 'api_key.allowed_assistants'],
      [
        'an assistant id with a control character',
        withFields({ allowed_assistants: ['a\nb'] }),
        'api_key.allowed_assistants',
      ],
      [
        '101 assistants (over the maximum)',
        withFields({ allowed_assistants: assistants(101) }),
        'api_key.allowed_assistants',
      ],
      // transient_assistant
      ['transient_assistant as a string', withFields({ transient_assistant: 'true' }), 'api_key.transient_assistant'],
      ['transient_assistant as a number', withFields({ transient_assistant: 1 }), 'api_key.transient_assistant'],
      ['transient_assistant null', withFields({ transient_assistant: null }), 'api_key.transient_assistant'],
      // fields the client may not set
      ['a key_value', withFields({ key_value: 'vk_priv_chosen_by_client' }), 'api_key.key_value'],
      ['an id', withFields({ id: 1 }), 'api_key.id'],
      ['a user_id', withFields({ user_id: 1 }), 'api_key.user_id'],
      ['a user_email', withFields({ user_email: 'someone@example.com' }), 'api_key.user_email'],
      ['a key_hash', withFields({ key_hash: '0'.repeat(64) }), 'api_key.key_hash'],
      ['a created_at', withFields({ created_at: '2024-01-15T11:00:00Z' }), 'api_key.created_at'],
      ['a deleted_at', withFields({ deleted_at: null }), 'api_key.deleted_at'],
      ['an unknown field', withFields({ colour: 'blue' }), 'api_key.colour'],
      ['a field name in another case', withFields({ Name: 'Shadow' }), 'api_key.Name'],
    ];

    it.each(cases)('refuses %s', async (_, body, field) => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 422, () => post(body));
      expect(reply.body.errors.some((problem: string) => problem.includes(field))).toBe(true);
    });

    it.each([
      [
        '__proto__',
        '{"api_key":{"name":"Polluter","key_type":"private","__proto__":{"admin":true}}}',
        'api_key.__proto__',
      ],
      [
        'constructor',
        '{"api_key":{"name":"Polluter","key_type":"private","constructor":{"prototype":{"admin":true}}}}',
        'api_key.constructor',
      ],
      [
        'a top-level __proto__',
        '{"__proto__":{"admin":true},"api_key":{"name":"Polluter","key_type":"private"}}',
        '__proto__',
      ],
    ])('refuses a body smuggling %s', async (_, rawBody, field) => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 422, () =>
        call(service.url, 'POST', API_KEYS_PATH, {
          key: alice.key,
          rawBody,
          headers: { 'Content-Type': 'application/json' },
        }),
      );
      expect(reply.body.errors.some((problem: string) => problem.includes(field))).toBe(true);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    it('lists one problem per invalid field, each naming its field', async () => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 422, () =>
        post({
          api_key: {
            name: '',
            key_type: 'root',
            allowed_origins: ['ftp://x.example.com'],
            transient_assistant: 'yes',
            key_value: 'mine',
          },
        }),
      );
      const errors: string[] = reply.body.errors;
      expect(errors).toHaveLength(5);
      for (const field of [
        'api_key.name',
        'api_key.key_type',
        'api_key.allowed_origins',
        'api_key.transient_assistant',
        'api_key.key_value',
      ]) {
        expect(errors.filter((problem) => problem.includes(`${field} `) || problem.includes(`${field}[`))).toHaveLength(
          1,
        );
      }
      expect(reply.body.error).toEqual(expect.any(String));
      expect(reply.body.error.length).toBeGreaterThan(0);
    });

    it('never echoes a rejected key_value back', async () => {
      const reply = await post(withFields({ key_value: 'vk_priv_SECRET_THE_CLIENT_CHOSE' }));
      expectErrorEnvelope(reply, 422);
      expect(reply.text).not.toContain('SECRET_THE_CLIENT_CHOSE');
    });
  });
});
