import { call } from '../support/http';
import { committedSchemas } from './contract-schemas';
import {
  API_KEYS_PATH,
  ApiKeyData,
  RAW_KEY_SHAPE,
  createKey,
  deleteKey,
  eventsOfKey,
  sha256Hex,
  updateKey,
} from '../support/keys';
import { CapturedLogs } from '../support/logs';
import { RunningService, User, isolation, newUser, startService, testConfig, waitUntil } from '../support/service';
import { readDatabase } from '../support/store';
import { TopicRecord, produceRaw, readTopic, topicSize } from '../support/topic';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ENVELOPE_FIELDS = [
  'actor_key_id',
  'api_key_id',
  'correlation_id',
  'data',
  'event_id',
  'event_type',
  'occurred_at',
  'schema_version',
  'user_id',
];
const CE_HEADERS = [
  'ce_dataschema',
  'ce_id',
  'ce_source',
  'ce_specversion',
  'ce_subject',
  'ce_time',
  'ce_type',
  'content-type',
];
/** The `$id` of the committed schema of an event type (libs/contracts/schemas/). */
/** The `$id` of the schema of the version the service writes of this event type. */
const schemaIdOf = (type: string, version: number) =>
  [...committedSchemas().values()].find(
    (schema: any) =>
      schema.properties?.event_type?.const === type && schema.properties?.schema_version?.const === version,
  )?.$id;

describe('the events on the topic, and where secrets may (not) go', () => {
  const iso = isolation('events');
  const logs = new CapturedLogs();
  let service: RunningService;
  let alice: User;
  /** Every raw key value this suite ever saw, to look for afterwards. */
  const secrets: string[] = [];

  beforeAll(async () => {
    service = await startService(testConfig(iso, { LOG_LEVEL: 'debug' }), logs);
    alice = await newUser(service);
    secrets.push(alice.key);
  });
  afterAll(() => service?.close());

  const create = async (fields: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const key = await createKey(service, alice.key, fields, headers);
    secrets.push(key.key_value!);
    return key;
  };
  /** The parts of the contract every event shares, whatever its type. */
  const expectContractRecord = (record: TopicRecord, type: string, key: { id: number; user_id: number }) => {
    expect(record.key).toBe(String(key.id));
    expect(Object.keys(record.headers).sort()).toEqual(CE_HEADERS);
    expect(Object.keys(record.json).sort()).toEqual(ENVELOPE_FIELDS);
    const event = record.json;
    expect(event.event_id).toMatch(UUID);
    expect(event.event_type).toBe(type);
    expect(Number.isInteger(event.schema_version) && event.schema_version >= 1).toBe(true);
    expect(event.api_key_id).toBe(key.id);
    expect(event.user_id).toBe(key.user_id);
    expect(event.occurred_at).toMatch(ISO_8601);
    expect(typeof event.correlation_id).toBe('string');
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: event.event_id,
      ce_type: type,
      ce_source: expect.stringMatching(/\S/),
      ce_time: event.occurred_at,
      ce_subject: String(key.id),
      ce_dataschema: schemaIdOf(type, record.json.schema_version),
      'content-type': 'application/json',
    });
    expect(record.headers.ce_dataschema).toMatch(/^https:\/\//);
  };

  describe('the event contract', () => {
    it('publishes ApiKeyCreated on the configured topic with the whole new state and the hash, never the key', async () => {
      const key = await create(
        {
          name: 'Contract',
          key_type: 'public',
          allowed_origins: ['https://a.example.com'],
          allowed_assistants: ['42'],
          transient_assistant: true,
        },
        { 'X-Request-Id': 'create-req-1' },
      );
      const [record, ...rest] = await eventsOfKey(iso.topic, key.id);
      expect(rest).toHaveLength(0);
      expectContractRecord(record, 'ApiKeyCreated', key);
      expect(record.json.correlation_id).toBe('create-req-1');
      expect(record.json.data).toEqual({
        key_type: 'public',
        name: 'Contract',
        key_hash: sha256Hex(key.key_value!),
        allowed_origins: ['https://a.example.com'],
        allowed_assistants: ['42'],
        expires_at: null,
        enabled: true,
        meta: {},
        transient_assistant: true,
        user_email: alice.email,
      });
      expect(Date.parse(record.json.occurred_at)).toBeGreaterThanOrEqual(Date.parse(key.created_at));
      expect(Date.parse(record.json.occurred_at)).toBeLessThan(Date.parse(key.created_at) + 1000);
    });

    it('publishes ApiKeyUpdated with exactly the changed fields, and ApiKeyDeleted, on the key’s partition in order', async () => {
      const key = await create({ name: 'Lifecycle' });
      const updated = await updateKey(
        service,
        alice.key,
        key.id,
        { name: 'Lifecycle renamed', allowed_assistants: ['7'] },
        { 'X-Request-Id': 'update-req-1' },
      );
      expect(updated.status).toBe(200);
      const deleted = await deleteKey(service, alice.key, key.id, { 'X-Request-Id': 'delete-req-1' });
      expect(deleted.status).toBe(200);
      const records = await eventsOfKey(iso.topic, key.id);
      expect(records.map((r) => r.json.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyUpdated', 'ApiKeyDeleted']);
      expect(new Set(records.map((r) => r.partition)).size).toBe(1);
      expect(records.map((r) => r.offset)).toEqual([...records.map((r) => r.offset)].sort((a, b) => a - b));
      const [, update, deletion] = records;
      expectContractRecord(update, 'ApiKeyUpdated', key);
      expect(update.json.correlation_id).toBe('update-req-1');
      expect(update.json.data).toEqual({ changes: { name: 'Lifecycle renamed', allowed_assistants: ['7'] } });
      expectContractRecord(deletion, 'ApiKeyDeleted', key);
      expect(deletion.json.correlation_id).toBe('delete-req-1');
      expect(new Set(records.map((r) => r.json.event_id)).size).toBe(3);
    });

    it('publishes the bootstrap command’s key as an ApiKeyCreated like any other', async () => {
      const [record] = await eventsOfKey(iso.topic, alice.keyId);
      expectContractRecord(record, 'ApiKeyCreated', { id: alice.keyId, user_id: alice.userId });
      expect(record.json.data).toMatchObject({
        key_type: 'private',
        key_hash: sha256Hex(alice.key),
        user_email: alice.email,
      });
    });
  });

  describe('X-Request-Id', () => {
    it('echoes the caller’s X-Request-Id on the response and uses it as the correlation_id', async () => {
      const reply = await call(service.url, 'POST', API_KEYS_PATH, {
        key: alice.key,
        headers: { 'X-Request-Id': 'trace-0123456789abcdef' },
        body: { api_key: { name: 'Traced', key_type: 'private' } },
      });
      expect(reply.status).toBe(201);
      secrets.push(reply.body.data.key_value);
      expect(reply.headers.get('x-request-id')).toBe('trace-0123456789abcdef');
      const [record] = await eventsOfKey(iso.topic, reply.body.data.id);
      expect(record.json.correlation_id).toBe('trace-0123456789abcdef');
    });

    it('generates a request id when absent, echoes it, and uses it as the correlation_id', async () => {
      const replies = await Promise.all(
        [1, 2].map(() =>
          call(service.url, 'POST', API_KEYS_PATH, {
            key: alice.key,
            body: { api_key: { name: 'Untraced', key_type: 'private' } },
          }),
        ),
      );
      const ids = replies.map((reply) => reply.headers.get('x-request-id'));
      expect(ids[0]).toMatch(/\S/);
      expect(ids[1]).toMatch(/\S/);
      expect(ids[0]).not.toBe(ids[1]);
      for (const reply of replies) {
        expect(reply.status).toBe(201);
        secrets.push(reply.body.data.key_value);
        const [record] = await eventsOfKey(iso.topic, reply.body.data.id);
        expect(record.json.correlation_id).toBe(reply.headers.get('x-request-id'));
      }
    });

    it('replaces an unusable X-Request-Id (too long) with a generated one, used as the correlation_id', async () => {
      const reply = await call(service.url, 'POST', API_KEYS_PATH, {
        key: alice.key,
        headers: { 'X-Request-Id': 'x'.repeat(2000) },
        body: { api_key: { name: 'Long trace', key_type: 'private' } },
      });
      expect(reply.status).toBe(201);
      secrets.push(reply.body.data.key_value);
      const echoed = reply.headers.get('x-request-id');
      expect(echoed).toMatch(/\S/);
      expect(echoed).not.toBe('x'.repeat(2000));
      const [record] = await eventsOfKey(iso.topic, reply.body.data.id);
      expect(record.json.correlation_id).toBe(echoed);
    });

    it.each([
      ['a 401', (id: string) => call(service.url, 'GET', API_KEYS_PATH, { headers: { 'X-Request-Id': id } })],
      [
        'a 404',
        (id: string) =>
          call(service.url, 'GET', `${API_KEYS_PATH}/987654321`, { key: alice.key, headers: { 'X-Request-Id': id } }),
      ],
      [
        'a 422',
        (id: string) =>
          call(service.url, 'POST', API_KEYS_PATH, { key: alice.key, headers: { 'X-Request-Id': id }, body: {} }),
      ],
      [
        'a 200',
        (id: string) => call(service.url, 'GET', API_KEYS_PATH, { key: alice.key, headers: { 'X-Request-Id': id } }),
      ],
    ])('echoes X-Request-Id on %s too', async (_, request) => {
      const reply = await request('echo-me-42');
      expect(reply.headers.get('x-request-id')).toBe('echo-me-42');
    });
  });

  describe('no raw key value anywhere but the create response', () => {
    const deadLetterTopic = `${iso.topic}.dlq`;

    beforeAll(async () => {
      // A little of everything, so the scans below cover every kind of event.
      const extra: ApiKeyData = await create({ name: 'Scanned', allowed_origins: ['https://scan.example.com'] });
      await updateKey(service, extra.key_value!, extra.id, { name: 'Scanned again' });
      await deleteKey(service, extra.key_value!, extra.id);
      const bob = await newUser(service);
      secrets.push(bob.key);
      await create({ name: 'Public one', key_type: 'public' });
      // Keys presented as credentials, valid or not, must not end up anywhere either.
      await call(service.url, 'GET', API_KEYS_PATH, { headers: { Authorization: `Bearer ${bob.key}` } });
      await call(service.url, 'GET', API_KEYS_PATH, { headers: { 'X-API-Key': `${bob.key}-tampered` } });
      // A record the projector cannot read, about a real key: it ends up on the dead-letter topic.
      await produceRaw(iso.topic, {
        key: String(alice.keyId),
        value: JSON.stringify({
          event_id: '6f1c7d8e-0000-4000-8000-00000000dead',
          event_type: 'ApiKeyRotated',
          schema_version: 1,
          api_key_id: alice.keyId,
          user_id: alice.userId,
          occurred_at: new Date().toISOString(),
          correlation_id: 'poison',
          data: {},
        }),
      });
      await waitUntil(async () => (await topicSize(deadLetterTopic)) > 0, 30000, 'the dead-lettered record');
    });

    it('scans with a shape that every key minted here, and one minted before checksums, has', () => {
      expect(secrets.length).toBeGreaterThan(3);
      for (const secret of secrets) expect(secret).toMatch(RAW_KEY_SHAPE);
      expect(`vk_priv_${'-_Az09'.repeat(7)}x`).toMatch(RAW_KEY_SHAPE);
    });

    /** The random part of a secret is as secret as the whole: look for it alone too. */
    const needles = () => secrets.flatMap((secret) => [secret, secret.replace(/^vk_(priv|pub)_/, '')]);
    /** All a consumer of a record sees: its key, value and headers. */
    const textOf = (record: TopicRecord) =>
      [record.key ?? '', record.value ?? '', ...Object.entries(record.headers).flat()].join('\n');

    it('finds no raw key in any record of the whole events topic, values, keys and headers', async () => {
      const records = await readTopic(iso.topic);
      expect(records.length).toBeGreaterThanOrEqual(secrets.length);
      const created = records.filter((r) => r.json?.event_type === 'ApiKeyCreated');
      expect(created.length).toBe(secrets.length);
      for (const record of records) {
        const text = textOf(record);
        expect(text).not.toMatch(RAW_KEY_SHAPE);
        for (const needle of needles()) expect(text).not.toContain(needle);
      }
      // What is there instead: each key's hash, once, in its creation event.
      const hashes = created.map((r) => r.json.data.key_hash);
      expect(hashes.sort()).toEqual(secrets.map(sha256Hex).sort());
    });

    it('finds no raw key on the dead-letter topic either, values, keys and headers', async () => {
      const dead = await readTopic(deadLetterTopic);
      expect(dead.map((r) => r.json?.correlation_id)).toEqual(['poison']);
      for (const record of dead) {
        const text = textOf(record);
        expect(text).not.toMatch(RAW_KEY_SHAPE);
        for (const needle of needles()) expect(text).not.toContain(needle);
      }
    });

    it('finds no raw key in any document of any collection of the database, only hashes', async () => {
      const database = await readDatabase(iso.database);
      expect(database.get('api_keys')?.length).toBe(secrets.length);
      expect(database.get('user_emails')?.length).toBe(2);
      for (const [, documents] of database) {
        for (const document of documents) {
          const text = JSON.stringify(document);
          expect(text).not.toMatch(RAW_KEY_SHAPE);
          for (const needle of needles()) expect(text).not.toContain(needle);
        }
      }
      const storedHashes = database.get('api_keys')!.map((d) => d.key_hash);
      expect(storedHashes.sort()).toEqual(secrets.map(sha256Hex).sort());
      const lookups = database.get('api_key_hashes')!.map((d) => d._id);
      expect(lookups.sort()).toEqual(secrets.map(sha256Hex).sort());
    });

    it('logs neither a raw key nor its hash, even at debug level', async () => {
      expect(logs.lines.length).toBeGreaterThan(0);
      expect(logs.lines.some((line) => line.includes('request'))).toBe(true);
      for (const line of logs.lines) {
        expect(line).not.toMatch(RAW_KEY_SHAPE);
        for (const needle of needles()) expect(line).not.toContain(needle);
        for (const secret of secrets) expect(line).not.toContain(sha256Hex(secret));
      }
    });
  });
});
