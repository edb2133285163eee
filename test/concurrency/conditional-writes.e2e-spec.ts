import { Reply, call, expectErrorEnvelope } from '../support/http';
import {
  API_KEYS_PATH,
  createKey,
  deleteKey,
  eventsOfKey,
  expectRefusedWithoutEvent,
  getKey,
  keyPath,
  updateKey,
} from '../support/keys';
import { waitForProjection } from '../support/projection';
import { RunningService, closeAll, newUser, startService, testConfig, useService } from '../support/service';
import { readCollection } from '../support/store';
import { topicSize } from '../support/topic';

const put = (
  service: RunningService,
  key: string,
  id: number,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
) => updateKey(service, key, id, fields, headers);

describe('versions and ETags', () => {
  const suite = useService('etags', ['alice']);

  it('gives every answer for one key its version as a strong ETag', async () => {
    const created = await call(suite.service.url, 'POST', API_KEYS_PATH, {
      key: suite.alice.key,
      body: { api_key: { name: 'Versioned', key_type: 'private' } },
    });
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.data.id as number;
    expect((await getKey(suite.service, suite.alice.key, id)).headers.get('etag')).toBe('"1"');
    expect((await put(suite.service, suite.alice.key, id, { name: 'v2' })).headers.get('etag')).toBe('"2"');
    expect((await getKey(suite.service, suite.alice.key, id)).headers.get('etag')).toBe('"2"');
    expect((await deleteKey(suite.service, suite.alice.key, id)).headers.get('etag')).toBe('"3"');
  });

  it('answers a GET whose If-None-Match is current with 304 and no body, and a stale one with the key', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Cached' });
    const current = await getKey(suite.service, suite.alice.key, key.id, { 'If-None-Match': '"1"' });
    expect(current.status).toBe(304);
    expect(current.text).toBe('');
    expect(current.headers.get('etag')).toBe('"1"');
    const stale = await getKey(suite.service, suite.alice.key, key.id, { 'If-None-Match': '"0", W/"7"' });
    expect(stale.status).toBe(200);
    expect(stale.body.data.name).toBe('Cached');
  });

  it('refuses a malformed If-Match with 400 rather than ignoring a condition the client set', async () => {
    const key = await createKey(suite.service, suite.alice.key);
    await expectRefusedWithoutEvent(suite.iso.topic, 400, () =>
      put(suite.service, suite.alice.key, key.id, { name: 'x' }, { 'If-Match': 'version 1' }),
    );
  });
});

describe('If-Match on PUT and DELETE', () => {
  const suite = useService('if-match', ['alice']);

  it('answers 412 with the current ETag at once, appending nothing, when If-Match names another version', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Guarded' });
    await put(suite.service, suite.alice.key, key.id, { name: 'v2' });
    const refused = await expectRefusedWithoutEvent(suite.iso.topic, 412, () =>
      put(suite.service, suite.alice.key, key.id, { name: 'lost update' }, { 'If-Match': '"1"' }),
    );
    expect(refused.headers.get('etag')).toBe('"2"');
    await expectRefusedWithoutEvent(suite.iso.topic, 412, () =>
      deleteKey(suite.service, suite.alice.key, key.id, { 'If-Match': '"1"' }),
    );
    expect((await getKey(suite.service, suite.alice.key, key.id)).body.data.name).toBe('v2');
  });

  it('applies a write whose If-Match is current, and puts the expected version in its event', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Guarded' });
    const reply = await put(suite.service, suite.alice.key, key.id, { name: 'guarded v2' }, { 'If-Match': '"1"' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('etag')).toBe('"2"');
    const [event] = await eventsOfKey(suite.iso.topic, key.id, 'ApiKeyUpdated');
    expect(event.json).toMatchObject({ schema_version: 3, expected_version: 1 });
    const removed = await deleteKey(suite.service, suite.alice.key, key.id, { 'If-Match': '"2"' });
    expect(removed.status).toBe(200);
  });

  it('lets exactly one of eight concurrent writes with the same If-Match win across two instances', async () => {
    const second = await startService(testConfig(suite.iso));
    try {
      const key = await createKey(suite.service, suite.alice.key, { name: 'Contested' });
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          put(i % 2 ? second : suite.service, suite.alice.key, key.id, { name: `writer ${i}` }, { 'If-Match': '"1"' }),
        ),
      );
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
      const winner = replies.find((r) => r.status === 200)!;
      for (const loser of replies.filter((r) => r.status === 412)) {
        expectErrorEnvelope(loser, 412);
        expect(loser.headers.get('etag')).toBe('"2"');
      }
      await waitForProjection(suite.iso.database, suite.iso.topic);
      const stored = (await readCollection(suite.iso.database, 'api_keys')).find((d) => d.id === key.id)!;
      expect(stored).toMatchObject({ name: winner.body.data.name, version: 2 });
      const history = await call(suite.service.url, 'GET', `${keyPath(key.id)}/events`, { key: suite.alice.key });
      expect(history.body.data.map((e: { version: number }) => e.version)).toEqual([1, 2]);
      expect(history.body.data[1].changes).toEqual({ name: winner.body.data.name });
    } finally {
      await closeAll([second]);
    }
  });
});

describe('Idempotency-Key', () => {
  const suite = useService('idempotency', ['alice']);
  const withKey = (key: string, more: Record<string, string> = {}) => ({ 'Idempotency-Key': key, ...more });
  const same = (a: Reply, b: Reply) => {
    expect([b.status, b.body]).toEqual([a.status, a.body]);
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
  };

  it('answers a retried PUT as the first attempt did, appending nothing, even after another change', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Retried' });
    const first = await put(suite.service, suite.alice.key, key.id, { name: 'once' }, withKey('put-1'));
    await put(suite.service, suite.alice.key, key.id, { allowed_assistants: ['later'] });
    const events = (await eventsOfKey(suite.iso.topic, key.id)).length;
    const retry = await put(suite.service, suite.alice.key, key.id, { name: 'once' }, withKey('put-1'));
    same(first, retry);
    expect((await eventsOfKey(suite.iso.topic, key.id)).length).toBe(events);
  });

  it('refuses the same Idempotency-Key with a different request with 422 naming the conflict', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Conflicted' });
    await put(suite.service, suite.alice.key, key.id, { name: 'first' }, withKey('put-2'));
    const reply = await expectRefusedWithoutEvent(suite.iso.topic, 422, () =>
      put(suite.service, suite.alice.key, key.id, { name: 'second' }, withKey('put-2')),
    );
    expect(reply.body.errors[0]).toMatch(/Idempotency-Key was used for a different request/);
  });

  it('answers a retried DELETE with the first answer, not a 404', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Deleted once' });
    const first = await deleteKey(suite.service, suite.alice.key, key.id, withKey('del-1'));
    expect(first.status).toBe(200);
    same(first, await deleteKey(suite.service, suite.alice.key, key.id, withKey('del-1')));
  });

  it('creates one key for a retried POST, never showing its secret again', async () => {
    const body = { api_key: { name: 'Created once', key_type: 'private' } };
    const post = () =>
      call(suite.service.url, 'POST', API_KEYS_PATH, { key: suite.alice.key, body, headers: withKey('post-1') });
    const first = await post();
    expect(first.status).toBe(201);
    expect(first.body.data.key_value).toMatch(/^vk_priv_/);
    const retry = await post();
    expect(retry.status).toBe(201);
    expect(retry.body.data).toEqual({ ...first.body.data, key_value: null });
    expect(retry.body.status.message).toMatch(/shown only in that answer/);
    expect((await eventsOfKey(suite.iso.topic, first.body.data.id)).length).toBe(1);
    const other = await call(suite.service.url, 'POST', API_KEYS_PATH, {
      key: suite.alice.key,
      body: { api_key: { name: 'Another', key_type: 'private' } },
      headers: withKey('post-1'),
    });
    expectErrorEnvelope(other, 422);
  });

  it('remembers a key across a restart of the service', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Before restart' });
    const first = await put(suite.service, suite.alice.key, key.id, { name: 'survives' }, withKey('restart-1'));
    await suite.service.close();
    suite.service = await startService(testConfig(suite.iso));
    const events = (await eventsOfKey(suite.iso.topic, key.id)).length;
    same(first, await put(suite.service, suite.alice.key, key.id, { name: 'survives' }, withKey('restart-1')));
    expect((await eventsOfKey(suite.iso.topic, key.id)).length).toBe(events);
  });

  it('refuses a malformed Idempotency-Key with 400', async () => {
    const key = await createKey(suite.service, suite.alice.key);
    await expectRefusedWithoutEvent(suite.iso.topic, 400, () =>
      put(suite.service, suite.alice.key, key.id, { name: 'x' }, withKey('with space')),
    );
  });
});

describe('a key’s history', () => {
  const suite = useService('history', ['alice', 'bob']);

  it('lists an updated-then-deleted key’s events for its owner, oldest first, and 404 for anyone else', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Storied' });
    await put(
      suite.service,
      suite.alice.key,
      key.id,
      { allowed_origins: ['https://a.example'] },
      { 'X-Request-Id': 'h-put' },
    );
    await deleteKey(suite.service, suite.alice.key, key.id, { 'X-Request-Id': 'h-del' });
    const path = `${keyPath(key.id)}/events`;
    const reply = await call(suite.service.url, 'GET', path, { key: suite.alice.key });
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual([
      expect.objectContaining({ version: 1, event_type: 'ApiKeyCreated' }),
      expect.objectContaining({
        version: 2,
        event_type: 'ApiKeyUpdated',
        correlation_id: 'h-put',
        changes: { allowed_origins: ['https://a.example'] },
      }),
      expect.objectContaining({ version: 3, event_type: 'ApiKeyDeleted', correlation_id: 'h-del' }),
    ]);
    const topic = await eventsOfKey(suite.iso.topic, key.id);
    expect(reply.body.data.map((e: { event_id: string }) => e.event_id)).toEqual(topic.map((r) => r.json.event_id));
    expectErrorEnvelope(await call(suite.service.url, 'GET', path, { key: suite.bob.key }), 404);
  });

  it('pages like the list, with Link rel="next", and refuses bad parameters with 422', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Paged' });
    for (let i = 0; i < 4; i++) await put(suite.service, suite.alice.key, key.id, { name: `v${i + 2}` });
    const seen: number[] = [];
    let path: string | null = `${keyPath(key.id)}/events?limit=2`;
    while (path) {
      const reply = await call(suite.service.url, 'GET', path, { key: suite.alice.key });
      seen.push(...reply.body.data.map((e: { version: number }) => e.version));
      const link = reply.headers.get('link');
      path = link ? (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null) : null;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expectErrorEnvelope(
      await call(suite.service.url, 'GET', `${keyPath(key.id)}/events?limit=0`, { key: suite.alice.key }),
      422,
    );
  });
});

describe('dry run', () => {
  const suite = useService('dry-run', ['alice']);

  it('answers with the key it would leave and the event it would append, and appends nothing', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Untouched' });
    const before = await topicSize(suite.iso.topic);
    const reply = await call(suite.service.url, 'PUT', `${keyPath(key.id)}?dry_run=true`, {
      key: suite.alice.key,
      body: { api_key: { name: 'Tried' } },
      headers: { 'If-Match': '"1"' },
    });
    expect(reply.status).toBe(200);
    expect(await topicSize(suite.iso.topic)).toBe(before);
    expect(reply.body.data.key).toMatchObject({ id: key.id, name: 'Tried' });
    expect(reply.body.data.event).toMatchObject({
      event_type: 'ApiKeyUpdated',
      api_key_id: key.id,
      expected_version: 1,
      data: { changes: { name: 'Tried' } },
    });
    expect((await getKey(suite.service, suite.alice.key, key.id)).body.data.name).toBe('Untouched');
  });

  it('still checks ownership, the rules and If-Match', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Checked' });
    const stranger = await newUser(suite.service);
    const dry = (key2: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      call(suite.service.url, 'PUT', `${keyPath(key.id)}?dry_run=true`, { key: key2, body, headers });
    expectErrorEnvelope(await dry(stranger.key, { api_key: { name: 'x' } }), 404);
    expectErrorEnvelope(await dry(suite.alice.key, { api_key: { name: '' } }), 422);
    expectErrorEnvelope(await dry(suite.alice.key, { api_key: { name: 'x' } }, { 'If-Match': '"9"' }), 412);
    expectErrorEnvelope(
      await call(suite.service.url, 'PUT', `${keyPath(key.id)}?dry_run=maybe`, {
        key: suite.alice.key,
        body: { api_key: { name: 'x' } },
      }),
      422,
    );
  });
});
