import { randomBytes } from 'node:crypto';
import { call, expectErrorEnvelope } from '../support/http';
import { CommandRecorder, RecordedCommand, explainPushdown } from '../support/command-recorder';
import {
  API_KEYS_PATH,
  createKey,
  deleteKey,
  expectRefusedWithoutEvent,
  getKey,
  listKeys,
  updateKey,
} from '../support/keys';
import { RunningService, User, closeAll, isolation, newUser, startService, testConfig } from '../support/service';

// Cost must not grow with the data: on FerretDB only a filter of `_id` alone, with a string value,
// is served by an index; anything else scans the whole collection. These suites run the service
// through a relay that records every command it sends to the store, and check each one.
const isIdLookup = (filter: Record<string, unknown>) =>
  Object.keys(filter).length === 1 && typeof filter._id === 'string';

/** Every filter of the commands that is not an `_id` lookup, named for a readable failure. */
const scans = (commands: readonly RecordedCommand[]) =>
  commands.flatMap((c) =>
    c.filters.filter((f) => !isIdLookup(f)).map((f) => `${c.name} ${c.collection} ${JSON.stringify(f)}`),
  );
// The budgets' fleet sync reads and writes its own documents in the background, on a timer:
// not a command of the request being recorded.
const BACKGROUND = new Set(['rate_limit_usage']);
const readsOf = (commands: readonly RecordedCommand[]) =>
  commands.filter((c) => c.name === 'find' && !BACKGROUND.has(c.collection));

describe('read models shaped by their queries', () => {
  const iso = isolation('scale');
  const recorder = new CommandRecorder();
  let first: RunningService;
  let second: RunningService;
  let alice: User;

  beforeAll(async () => {
    await recorder.start();
    const config = () => testConfig(iso, { MONGODB_URI: recorder.uri(iso.database), MAX_KEYS_PER_USER: '6' });
    first = await startService(config());
    alice = await newUser(first);
    // A second instance: keys of the partitions it does not project are read from the store.
    second = await startService(config());
  });
  afterAll(async () => {
    await closeAll([first, second]);
    await recorder.stop();
  });

  describe('no request path and no projector batch scans a collection', () => {
    let commands: RecordedCommand[];

    beforeAll(async () => {
      commands = await recorder.during(async () => {
        const bob = await newUser(first);
        const made = [];
        for (let i = 0; i < 3; i++) made.push(await createKey(i % 2 ? second : first, bob.key, { name: `k${i}` }));
        for (const instance of [first, second]) {
          for (const key of made) {
            expect((await getKey(instance, bob.key, key.id)).status).toBe(200);
            expect((await updateKey(instance, bob.key, key.id, { name: `renamed ${key.id}` })).status).toBe(200);
          }
          expect((await listKeys(instance, bob.key)).status).toBe(200);
          const page = await call(instance.url, 'GET', `${API_KEYS_PATH}?limit=1&starting_after=${made[0].id}`, {
            key: bob.key,
          });
          expect(page.status).toBe(200);
          const unknown = `vk_priv_${randomBytes(32).toString('base64url')}`;
          expect((await listKeys(instance, unknown)).status).toBe(401);
        }
        expect((await deleteKey(second, bob.key, made[2].id)).status).toBe(200);
        expect((await listKeys(first, made[2].key_value!)).status).toBe(401);
        expect((await getKey(second, bob.key, made[2].id)).status).toBe(404);
      });
    });

    it('recorded the reads and writes of every path', () => {
      const names = new Set(commands.map((c) => `${c.name} ${c.collection}`));
      for (const expected of ['find api_keys', 'find api_key_hashes', 'find user_keys', 'insert api_keys']) {
        expect([...names]).toContain(expected);
      }
      expect(commands.filter((c) => c.name === 'update').length).toBeGreaterThan(0);
    });

    it('filters every read, update and delete by _id alone', () => {
      expect(scans(commands)).toEqual([]);
      expect(commands.map((c) => c.name)).not.toContain('aggregate');
      expect(commands.map((c) => c.name)).not.toContain('count');
    });

    it('is told by FerretDB itself that each distinct lookup is served by its index', async () => {
      const shapes = new Map<string, RecordedCommand>();
      for (const command of readsOf(commands)) shapes.set(command.collection, command);
      expect(shapes.size).toBeGreaterThan(2);
      for (const { collection, filters } of shapes.values()) {
        expect([collection, await explainPushdown(iso.database, collection, filters[0])]).toEqual([collection, true]);
      }
      // And the check can fail: a secondary-field filter is reported as a scan.
      expect(await explainPushdown(iso.database, 'api_keys', { user_id: alice.userId })).toBe(false);
    });
  });

  describe('a key that is not known', () => {
    it('costs one lookup, then none while it is remembered', async () => {
      const unknown = `vk_priv_${randomBytes(32).toString('base64url')}`;
      const firstTry = await recorder.during(async () => expect((await listKeys(first, unknown)).status).toBe(401));
      const again = await recorder.during(async () => {
        for (let i = 0; i < 5; i++) expect((await listKeys(first, unknown)).status).toBe(401);
      });
      expect(readsOf(firstTry).map((c) => c.collection)).toEqual(['api_key_hashes']);
      expect(readsOf(again)).toEqual([]);
    });

    it('costs no lookup at all when malformed', async () => {
      const reads = await recorder.during(async () =>
        expect((await listKeys(first, 'vk_priv_tooshort')).status).toBe(401),
      );
      expect(readsOf(reads)).toEqual([]);
    });

    it('is forgotten once its creation is applied, so a new key works at once', async () => {
      const key = await createKey(first, alice.key, { name: 'fresh' });
      expect((await listKeys(first, key.key_value!)).status).toBe(200);
      expect((await listKeys(second, key.key_value!)).status).toBe(200);
    });
  });

  describe("an id that is not the caller's", () => {
    /** Each command's name, collection and filter shape, in order: what the store is asked. */
    const shapeOf = (commands: readonly RecordedCommand[]) =>
      commands
        .filter((c) => !BACKGROUND.has(c.collection))
        .map((c) => `${c.name} ${c.collection} ${c.filters.map((f) => Object.keys(f).join(',')).join(';')}`);

    it("costs the same store commands, in the same order, whether another user's key or never used", async () => {
      const erin = await newUser(first);
      // Another user's key, read once by this instance, so that it sits in its memory.
      const theirs = await createKey(first, erin.key, { name: "not alice's" });
      expect((await getKey(first, erin.key, theirs.id)).status).toBe(200);
      const neverUsed = theirs.id + 1_000_000;
      // The caller's own key is then known to this instance as well: both classes authenticate alike.
      expect((await listKeys(first, alice.key)).status).toBe(200);
      for (const path of ['', '/events']) {
        const at = (id: number) => `${API_KEYS_PATH}/${id}${path}`;
        const foreign = await recorder.during(async () =>
          expect((await call(first.url, 'GET', at(theirs.id), { key: alice.key })).status).toBe(404),
        );
        const missing = await recorder.during(async () =>
          expect((await call(first.url, 'GET', at(neverUsed), { key: alice.key })).status).toBe(404),
        );
        expect([path, shapeOf(foreign)]).toEqual([path, shapeOf(missing)]);
        // Besides authenticating the caller (nothing when this instance holds the caller's key):
        // one read of the key by `_id`.
        expect(shapeOf(missing).at(-1)).toBe('find api_keys _id');
      }
      const put = (id: number) =>
        call(first.url, 'PUT', `${API_KEYS_PATH}/${id}`, { key: alice.key, body: { api_key: { name: 'x' } } });
      const foreignPut = await recorder.during(async () => expect((await put(theirs.id)).status).toBe(404));
      const missingPut = await recorder.during(async () => expect((await put(neverUsed)).status).toBe(404));
      expect(shapeOf(foreignPut)).toEqual(shapeOf(missingPut));
    });
  });

  describe('the per-user cap on live keys (MAX_KEYS_PER_USER=6 here)', () => {
    it('refuses a create beyond the cap with a 422 naming it, appends nothing, and frees a place on delete', async () => {
      const carol = await newUser(first);
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await createKey(i % 2 ? second : first, carol.key, { name: `c${i}` }));
      const refused = await expectRefusedWithoutEvent(iso.topic, 422, () =>
        call(second.url, 'POST', API_KEYS_PATH, {
          key: carol.key,
          body: { api_key: { name: 'seventh', key_type: 'private' } },
        }),
      );
      expect(refused.body.errors).toEqual(['a user may hold at most 6 live API keys']);
      expect((await listKeys(first, carol.key)).body.data).toHaveLength(6);
      expect((await deleteKey(first, carol.key, made[0].id)).status).toBe(200);
      expect((await createKey(second, carol.key, { name: 'in the freed place' })).name).toBe('in the freed place');
    });
  });

  describe('pagination of the list', () => {
    let dave: User;
    let all: number[];

    beforeAll(async () => {
      dave = await newUser(second);
      for (let i = 0; i < 5; i++) await createKey(i % 2 ? first : second, dave.key, { name: `d${i}` });
      all = (await listKeys(first, dave.key)).body.data.map((k: { id: number }) => k.id);
    });

    it('without parameters lists every live key by ascending id, with no Link header', async () => {
      const reply = await listKeys(second, dave.key);
      expect(reply.body.data.map((k: { id: number }) => k.id)).toEqual(all);
      expect(all).toHaveLength(6);
      expect([...all].sort((a, b) => a - b)).toEqual(all);
      expect(reply.headers.get('link')).toBeNull();
    });

    it.each([1, 2, 4, 6, 1000])('walks every page of %i by following Link rel="next"', async (limit) => {
      const seen: number[] = [];
      let path: string | null = `${API_KEYS_PATH}?limit=${limit}`;
      let pages = 0;
      while (path) {
        const reply = await call(first.url, 'GET', path, { key: dave.key });
        expect(reply.status).toBe(200);
        expect(Array.isArray(reply.body.data)).toBe(true);
        expect(reply.body.data.length).toBeLessThanOrEqual(limit);
        seen.push(...reply.body.data.map((k: { id: number }) => k.id));
        pages += 1;
        const link = reply.headers.get('link');
        path = link ? (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? 'malformed Link') : null;
      }
      expect(seen).toEqual(all);
      expect(pages).toBe(Math.max(1, Math.ceil(all.length / limit)));
    });

    it('starts after the given id, which need not be a key of the caller', async () => {
      const reply = await call(first.url, 'GET', `${API_KEYS_PATH}?starting_after=${all[2]}`, { key: dave.key });
      expect(reply.body.data.map((k: { id: number }) => k.id)).toEqual(all.slice(3));
      const past = await call(first.url, 'GET', `${API_KEYS_PATH}?starting_after=${all[5] + 1000}`, { key: dave.key });
      expect(past.body.data).toEqual([]);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['starting_after=-1', 'starting_after'],
      ['starting_after=x', 'starting_after'],
      ['page=2', 'page'],
    ])('answers 422 naming the parameter for ?%s', async (query, name) => {
      const reply = await call(first.url, 'GET', `${API_KEYS_PATH}?${query}`, { key: dave.key });
      expectErrorEnvelope(reply, 422);
      expect(reply.body.errors.join(' ')).toContain(name);
    });
  });
});
