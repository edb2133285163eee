import { call } from '../support/http';
import { API_KEYS_PATH, createKey, eventsOfKey, getKey, keyPath, listKeys, updateKey } from '../support/keys';
import { newUser, useService, waitUntil } from '../support/service';

// A key's life beyond create, update and delete, on the real stack: expiry, disable, meta, roll.
// `alice.key` is the user's bootstrap key; each test works on other keys of hers, which that key
// can still read and change when they no longer authenticate.
describe('the key lifecycle', () => {
  const suite = useService('lifecycle', ['alice']);
  const roll = (id: number, body?: object, headers: Record<string, string> = {}, key = suite.alice.key) =>
    call(suite.service.url, 'POST', `${keyPath(id)}/roll`, { key, headers, ...(body && { body }) });
  /** Whether a secret authenticates right now (the list route, as any client would call it). */
  const works = async (secret: string) => (await listKeys(suite.service, secret)).status === 200;
  const refusal = async (secret: string) => {
    const reply = await listKeys(suite.service, secret);
    return [reply.status, reply.body?.errors?.join(' ')];
  };
  /** UTC to the whole second, `seconds` from now rounded up. */
  const inSeconds = (seconds: number) =>
    new Date(Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');

  describe('expiry', () => {
    it('stops a key at its expires_at with a 401 naming why, and null makes it last again', async () => {
      const expiresAt = inSeconds(3);
      const key = await createKey(suite.service, suite.alice.key, { name: 'short-lived', expires_at: expiresAt });
      expect(key.expires_at).toBe(expiresAt);
      expect(await works(key.key_value!)).toBe(true);
      await waitUntil(async () => !(await works(key.key_value!)), 10_000, 'the key to expire');
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
      const [status, errors] = await refusal(key.key_value!);
      expect([status, errors]).toEqual([401, expect.stringContaining('expired')]);
      // The owner's other key still reads and extends it.
      expect((await getKey(suite.service, suite.alice.key, key.id)).body.data.expires_at).toBe(expiresAt);
      expect((await updateKey(suite.service, suite.alice.key, key.id, { expires_at: null })).status).toBe(200);
      expect(await works(key.key_value!)).toBe(true);
    });

    it.each([
      ['a time already past', '2020-01-01T00:00:00Z', 'api_key.expires_at must be in the future'],
      ['milliseconds', '2030-01-01T00:00:00.000Z', 'api_key.expires_at must be null or a UTC time'],
      ['an offset', '2030-01-01T00:00:00+00:00', 'api_key.expires_at must be null or a UTC time'],
    ])('refuses %s with 422 and changes nothing', async (_, expiresAt, problem) => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'expiry rules' });
      const reply = await updateKey(suite.service, suite.alice.key, key.id, { expires_at: expiresAt });
      expect([reply.status, reply.body.errors.join(' ')]).toEqual([422, expect.stringContaining(problem)]);
      expect((await getKey(suite.service, suite.alice.key, key.id)).headers.get('etag')).toBe('"1"');
    });
  });

  it('refuses a disabled key with a 401 naming why, until it is enabled again', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'pausable' });
    expect((await updateKey(suite.service, suite.alice.key, key.id, { enabled: false })).body.data.enabled).toBe(false);
    expect(await refusal(key.key_value!)).toEqual([401, expect.stringContaining('disabled')]);
    expect((await updateKey(suite.service, suite.alice.key, key.id, { enabled: true })).status).toBe(200);
    expect(await works(key.key_value!)).toBe(true);
  });

  describe('meta', () => {
    it('keeps an object as given, replaces it whole, and {} clears it', async () => {
      const meta = { plan: 'pro', limits: { rpm: 600, regions: ['eu', 'us'] }, note: 'é' };
      const key = await createKey(suite.service, suite.alice.key, { name: 'with meta', meta });
      expect(key.meta).toEqual(meta);
      expect((await getKey(suite.service, suite.alice.key, key.id)).body.data.meta).toEqual(meta);
      const replaced = await updateKey(suite.service, suite.alice.key, key.id, { meta: { tier: 2 } });
      expect(replaced.body.data.meta).toEqual({ tier: 2 });
      expect((await updateKey(suite.service, suite.alice.key, key.id, { meta: {} })).body.data.meta).toEqual({});
      const [created] = await eventsOfKey(suite.iso.topic, key.id, 'ApiKeyCreated');
      expect(created.json.data.meta).toEqual(meta);
    });

    it.each([
      ['over 4096 bytes', { blob: 'x'.repeat(4096) }, '4096 bytes'],
      ['five levels deep', { a: { b: { c: { d: { e: 1 } } } } }, '4 levels'],
      ['null', null, 'must be a JSON object'],
      ['an array', ['a'], 'must be a JSON object'],
    ])('refuses meta %s with 422', async (_, meta, problem) => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'meta rules' });
      const reply = await updateKey(suite.service, suite.alice.key, key.id, { meta });
      expect([reply.status, reply.body.errors.join(' ')]).toEqual([422, expect.stringContaining(problem)]);
    });

    it.each([
      ['$-prefixed', { $where: 'x' }],
      ['dotted', { 'a.b': 1 }],
      ['empty', { '': 2 }],
      ['nested $-prefixed', { nested: { list: [{ $gt: 1 }] } }],
      ['array-in-array', { matrix: [[1, 2]] }],
    ])(
      'refuses a %s key in meta with 422, which a document store would read as a command or a path',
      async (_, meta) => {
        const key = await createKey(suite.service, suite.alice.key, { name: 'meta keys' });
        const reply = await updateKey(suite.service, suite.alice.key, key.id, { meta });
        expect([reply.status, reply.body.errors.join(' ')]).toEqual([
          422,
          expect.stringContaining('must have keys that are not empty'),
        ]);
        // Nothing reached the log, so the projection goes on: the next write answers as usual.
        expect((await updateKey(suite.service, suite.alice.key, key.id, { meta: { ok: true } })).status).toBe(200);
      },
    );

    it('takes exactly four levels', async () => {
      const meta = { a: { b: { c: { d: 1 } } } };
      expect((await createKey(suite.service, suite.alice.key, { name: 'deep', meta })).meta).toEqual(meta);
    });
  });

  describe('roll', () => {
    it('gives a new secret and keeps the old one working until its grace ends, then 401', async () => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'rolled with grace' });
      const reply = await roll(key.id, { expire_previous_in_seconds: 3 });
      expect(reply.status).toBe(200);
      const rolled = reply.body.data;
      expect(rolled.key_value).not.toBe(key.key_value);
      expect(rolled.previous_key_expires_at).toMatch(/Z$/);
      expect(reply.headers.get('etag')).toBe('"2"');
      expect(await works(rolled.key_value)).toBe(true);
      expect(await works(key.key_value!)).toBe(true);
      await waitUntil(async () => !(await works(key.key_value!)), 10_000, 'the grace to end');
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(rolled.previous_key_expires_at));
      expect(await refusal(key.key_value!)).toEqual([401, expect.stringContaining('unknown or revoked')]);
      expect(await works(rolled.key_value)).toBe(true);
      expect((await getKey(suite.service, suite.alice.key, key.id)).body.data.previous_key_expires_at).toBeNull();
    });

    it('stops the old secret at once without a grace, and a second roll ends the first previous secret', async () => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'rolled twice' });
      const cut = (await roll(key.id)).body.data;
      expect(cut.previous_key_expires_at).toBeNull();
      expect(await works(key.key_value!)).toBe(false);
      const first = (await roll(key.id, { expire_previous_in_seconds: 600 })).body.data;
      expect(await works(cut.key_value)).toBe(true);
      const second = (await roll(key.id, { expire_previous_in_seconds: 600 })).body.data;
      expect(await works(cut.key_value)).toBe(false);
      expect(await works(first.key_value)).toBe(true);
      expect(await works(second.key_value)).toBe(true);
    });

    it('keeps expiry and enabled, and lets a key roll itself, naming it as the actor', async () => {
      const expiresAt = inSeconds(3600);
      const key = await createKey(suite.service, suite.alice.key, { name: 'self-roll', expires_at: expiresAt });
      const reply = await roll(key.id, { expire_previous_in_seconds: 60 }, {}, key.key_value!);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({ expires_at: expiresAt, enabled: true });
      const history = (await call(suite.service.url, 'GET', `${keyPath(key.id)}/events`, { key: suite.alice.key })).body
        .data;
      expect(history.map((e: { event_type: string; actor_key_id: number }) => [e.event_type, e.actor_key_id])).toEqual([
        ['ApiKeyCreated', suite.alice.keyId],
        ['ApiKeyRolled', key.id],
      ]);
    });

    it('answers a retried roll as the first, with key_value null, and appends nothing', async () => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'retried roll' });
      const headers = { 'Idempotency-Key': `roll-${key.id}` };
      const first = await roll(key.id, { expire_previous_in_seconds: 60 }, headers);
      const again = await roll(key.id, { expire_previous_in_seconds: 60 }, headers);
      expect(again.status).toBe(200);
      expect(again.body.data).toEqual({ ...first.body.data, key_value: null });
      expect(await eventsOfKey(suite.iso.topic, key.id, 'ApiKeyRolled')).toHaveLength(1);
    });

    it('refuses a grace out of range with 422, and another user’s key with 404', async () => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'roll rules' });
      expect((await roll(key.id, { expire_previous_in_seconds: 604_801 })).status).toBe(422);
      expect((await roll(key.id, { expire_previous_in_seconds: -1 })).status).toBe(422);
      expect((await roll(key.id, { expire_previous_in_seconds: 60, api_key: {} })).status).toBe(422);
      expect((await roll(987_654_321)).status).toBe(404);
      expect(await eventsOfKey(suite.iso.topic, key.id, 'ApiKeyRolled')).toHaveLength(0);
    });
  });

  describe('the key as it was', () => {
    const asOf = (id: number, query: string) =>
      call(suite.service.url, 'GET', `${keyPath(id)}?${query}`, { key: suite.alice.key });

    it('answers ?version= and ?at= from the history of an updated, then rolled, then deleted key', async () => {
      const key = await createKey(suite.service, suite.alice.key, { name: 'v1', meta: { step: 1 } });
      const afterCreate = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await updateKey(suite.service, suite.alice.key, key.id, { name: 'v2', meta: { step: 2 } });
      const rolled = (await roll(key.id, { expire_previous_in_seconds: 600 })).body.data;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const beforeDelete = new Date().toISOString();
      expect((await call(suite.service.url, 'DELETE', keyPath(key.id), { key: suite.alice.key })).status).toBe(200);

      const v1 = await asOf(key.id, 'version=1');
      expect([v1.status, v1.headers.get('etag'), v1.body.data.name, v1.body.data.meta]).toEqual([
        200,
        '"1"',
        'v1',
        { step: 1 },
      ]);
      expect((await asOf(key.id, 'version=2')).body.data).toMatchObject({ name: 'v2', meta: { step: 2 } });
      const v3 = await asOf(key.id, 'version=3');
      expect(v3.body.data).toMatchObject({
        name: 'v2',
        key_value: null,
        previous_key_expires_at: rolled.previous_key_expires_at,
      });
      expect((await asOf(key.id, 'version=4')).status).toBe(404); // the deletion
      expect((await asOf(key.id, 'version=5')).status).toBe(404); // never had

      const at1 = await asOf(key.id, `at=${afterCreate}`);
      expect([at1.status, at1.headers.get('etag'), at1.body.data.name]).toEqual([200, '"1"', 'v1']);
      const at3 = await asOf(key.id, `at=${beforeDelete}`);
      expect([at3.status, at3.headers.get('etag')]).toEqual([200, '"3"']);
      expect((await asOf(key.id, 'at=2000-01-01T00:00:00Z')).status).toBe(404); // before it existed
      expect((await asOf(key.id, `at=${new Date().toISOString()}`)).status).toBe(404); // after its deletion
      // The current key is gone: the plain GET says so.
      expect((await getKey(suite.service, suite.alice.key, key.id)).status).toBe(404);
    });

    it.each([
      ['both parameters', 'at=2024-01-01T00:00:00Z&version=1'],
      ['a time without Z', 'at=2024-01-01T00:00:00'],
      ['a version 0', 'version=0'],
      ['a version that is no number', 'version=two'],
    ])('refuses %s with 422', async (_, query) => {
      expect((await asOf(suite.alice.keyId, query)).status).toBe(422);
    });

    it('answers another user’s key as not found', async () => {
      const bob = await newUser(suite.service);
      expect(
        (await call(suite.service.url, 'GET', `${keyPath(bob.keyId)}?version=1`, { key: suite.alice.key })).status,
      ).toBe(404);
    });
  });

  it('shows every key with its expiry, enabled, meta and previous secret’s end in the list', async () => {
    const list = await call(suite.service.url, 'GET', API_KEYS_PATH, { key: suite.alice.key });
    for (const key of list.body.data)
      expect(Object.keys(key)).toEqual(
        expect.arrayContaining(['expires_at', 'enabled', 'meta', 'previous_key_expires_at']),
      );
  });
});
