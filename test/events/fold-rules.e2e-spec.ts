import { randomUUID } from 'node:crypto';
import { call } from '../support/http';
import { RunningService, User, isolation, newUser, startService, testConfig } from '../support/service';
import { produceRaw, readTopic, topicSize } from '../support/topic';

// The fold rules of docs/events.md that the golden records show (libs/contracts/golden), on the
// real stack: records appended to the events topic as another writer would, and the service's own
// answers read back. A PUT on the same key after an appended record is answered only once the
// projection has passed that key's earlier records (one partition, in order), so its answer shows
// what the log decided for them.
describe('the fold rules on the real stack', () => {
  const iso = isolation('fold-rules');
  let service: RunningService;
  let alice: User;

  beforeAll(async () => {
    service = await startService(testConfig(iso));
    alice = await newUser(service);
  });
  afterAll(() => service?.close());

  const put = (id: number, fields: object, headers: Record<string, string> = {}) =>
    call(service.url, 'PUT', `/api/v1/api_keys/${id}`, { key: alice.key, body: { api_key: fields }, headers });
  const historyOf = async (id: number) =>
    (await call(service.url, 'GET', `/api/v1/api_keys/${id}/events?limit=100`, { key: alice.key })).body.data;
  const newKey = async (name: string) =>
    (
      await call(service.url, 'POST', '/api/v1/api_keys', {
        key: alice.key,
        body: { api_key: { name, key_type: 'private' } },
      })
    ).body.data.id as number;
  /** The records of the events topic for one key, as they are on the topic. */
  const recordsOf = async (id: number) => (await readTopic(iso.topic)).filter((r) => r.key === String(id));
  /** A version-2 update as another instance would append it. */
  const update = (id: number, changes: object, more: object = {}) => ({
    event_id: randomUUID(),
    event_type: 'ApiKeyUpdated',
    schema_version: 2,
    api_key_id: id,
    user_id: alice.userId,
    occurred_at: new Date().toISOString(),
    correlation_id: 'fold-rules',
    ...more,
    data: { changes },
  });
  const append = (id: number, value: object) =>
    produceRaw(iso.topic, { key: String(id), value: JSON.stringify(value) });

  it('ignores an update appended again with the same event_id: no second version, no roll-back', async () => {
    const id = await newKey('Original');
    expect((await put(id, { name: 'First' })).status).toBe(200);
    expect((await put(id, { name: 'Second' })).status).toBe(200);
    const first = (await recordsOf(id)).find((r) => r.json?.data?.changes?.name === 'First')!;
    await produceRaw(iso.topic, { key: first.key!, value: first.value!, headers: first.headers });

    const after = await put(id, { allowed_assistants: ['a1'] });
    expect(after.body.data).toMatchObject({ name: 'Second', allowed_assistants: ['a1'] });
    expect(after.headers.get('etag')).toBe('"4"');
    const ids = (await historyOf(id)).map((entry: { event_id: string }) => entry.event_id);
    expect(ids.filter((eventId: string) => eventId === first.json.event_id)).toHaveLength(1);
    expect(ids).toHaveLength(4);
  });

  it('sets aside an update naming a field outside its schema_version, counting it, and leaves the key as it was', async () => {
    const id = await newKey('Plain');
    const deadLetters = `${iso.topic}.dlq`;
    const deadBefore = await topicSize(deadLetters);
    const metric = async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      return Number(/^api_keys_dead_letters_total (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const countedBefore = await metric();
    await append(id, update(id, { name: 'Painted', colour: 'blue' }));

    const after = await put(id, { allowed_origins: ['https://app.example.com'] });
    expect(after.body.data).toMatchObject({ name: 'Plain', allowed_origins: ['https://app.example.com'] });
    expect(after.headers.get('etag')).toBe('"2"');
    expect(await topicSize(deadLetters)).toBe(deadBefore + 1);
    const dead = (await readTopic(deadLetters)).at(-1)!;
    expect(dead.headers.dlq_reason).toMatch(/colour is not an updatable field/);
    expect(await metric()).toBe(countedBefore + 1);
  });

  it('scopes an Idempotency-Key to its key in the log, and refuses its reuse on another key at once', async () => {
    const one = await newKey('One');
    const two = await newKey('Two');
    const first = await put(one, { name: 'One, once' }, { 'Idempotency-Key': 'scope-1' });
    expect(first.status).toBe(200);
    // Another request with the same key is refused before anything reaches the log.
    const reused = await put(two, { name: 'Two, once' }, { 'Idempotency-Key': 'scope-1' });
    expect(reused.status).toBe(422);

    // In the log, the same Idempotency-Key on another key is no retry: it applies.
    const window = {
      request_fingerprint: 'f'.repeat(64),
      idempotency_expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await append(two, update(two, { name: 'Two, by another writer' }, { idempotency_key: 'scope-1', ...window }));
    // On the same key, a later event with it within the window is a retry: ignored.
    await append(one, update(one, { name: 'One, retried' }, { idempotency_key: 'scope-1', ...window }));

    expect((await put(two, { allowed_assistants: ['x'] })).body.data).toMatchObject({ name: 'Two, by another writer' });
    const one2 = await put(one, { allowed_assistants: ['y'] });
    expect(one2.body.data).toMatchObject({ name: 'One, once' });
    expect(one2.headers.get('etag')).toBe('"3"');
  });
});
