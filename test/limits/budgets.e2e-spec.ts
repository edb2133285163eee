import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { call, expectErrorEnvelope } from '../support/http';
import { CommandRecorder } from '../support/command-recorder';
import { API_KEYS_PATH, createKey, expectRefusedWithoutEvent, getKey, keyPath, listKeys } from '../support/keys';
import {
  RunningService,
  closeAll,
  isolation,
  newUser,
  stackEnv,
  startService,
  testConfig,
  useService,
} from '../support/service';
import { waitForProjection } from '../support/projection';
import { TcpProxy } from '../support/tcp-proxy';
import { readTopic } from '../support/topic';

const unknownKey = () => `vk_priv_${randomBytes(32).toString('base64url')}`;
const rateHeaders = (reply: { headers: Headers }) => ({
  limit: reply.headers.get('x-ratelimit-limit'),
  remaining: reply.headers.get('x-ratelimit-remaining'),
  reset: reply.headers.get('x-ratelimit-reset'),
});

describe('rate limits', () => {
  // A window of an hour, so no test straddles two windows.
  const suite = useService('budgets', ['alice'], {
    RATE_LIMIT_PER_KEY: '6',
    AUTH_FAILURES_PER_ADDRESS: '3',
    RATE_LIMIT_WINDOW_SECONDS: '3600',
  });

  it('tells every authenticated answer, success or error, where the key stands', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'budgeted' });
    const replies = [
      await getKey(suite.service, key.key_value!, key.id),
      await getKey(suite.service, key.key_value!, 987654321),
      await call(suite.service.url, 'PUT', keyPath(key.id), { key: key.key_value!, body: { api_key: {} } }),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 404, 422]);
    expect(replies.map((r) => rateHeaders(r).remaining)).toEqual(['5', '4', '3']);
    for (const reply of replies) {
      expect(rateHeaders(reply).limit).toBe('6');
      const reset = Number(rateHeaders(reply).reset);
      expect(reset).toBeGreaterThan(Date.now() / 1000);
      expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 3600);
    }
  });

  it('answers 429 with Retry-After past the key’s budget, and a refused write appends nothing', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'spent' });
    for (let i = 0; i < 6; i++) expect((await getKey(suite.service, key.key_value!, key.id)).status).toBe(200);
    const refused = await expectRefusedWithoutEvent(suite.iso.topic, 429, () =>
      call(suite.service.url, 'PUT', keyPath(key.id), { key: key.key_value!, body: { api_key: { name: 'over' } } }),
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(rateHeaders(refused)).toMatchObject({ limit: '6', remaining: '0' });
    expect(refused.body.errors).toEqual(['this API key has used its request budget for the current window']);
    // Another key of the same user has its own budget.
    expect((await getKey(suite.service, suite.alice.key, key.id)).body.data.name).toBe('spent');
  });

  describe('failed authentications from one address', () => {
    const recorder = new CommandRecorder();
    let service: RunningService;
    let user: Awaited<ReturnType<typeof newUser>>;

    beforeAll(async () => {
      await recorder.start();
      const iso = isolation('auth-budget');
      service = await startService(
        testConfig(iso, {
          MONGODB_URI: recorder.uri(iso.database),
          AUTH_FAILURES_PER_ADDRESS: '3',
          RATE_LIMIT_WINDOW_SECONDS: '3600',
        }),
      );
      user = await newUser(service);
    });
    afterAll(async () => {
      await closeAll([service]);
      await recorder.stop();
    });

    it('are refused with 429 before any lookup once spent, while a key known good still works', async () => {
      const failures = [];
      for (let i = 0; i < 3; i++) failures.push(await listKeys(service, unknownKey()));
      expect(failures.map((r) => r.status)).toEqual([401, 401, 401]);
      expect(failures.map((r) => rateHeaders(r).remaining)).toEqual(['2', '1', '0']);
      let refused!: Awaited<ReturnType<typeof listKeys>>;
      const lookups = await recorder.during(async () => (refused = await listKeys(service, unknownKey())));
      expectErrorEnvelope(refused, 429);
      expect(refused.body.errors).toEqual(['too many failed authentications from this address']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(lookups.filter((c) => c.collection === 'api_key_hashes')).toEqual([]);
      // Forwarding headers are the client's own words: they never name a fresh budget.
      const forwardings: Record<string, string>[] = [
        { 'X-Forwarded-For': '203.0.113.9' },
        { Forwarded: 'for="[2001:db8::9]"' },
        { 'X-Real-IP': '203.0.113.10' },
      ];
      for (const forwarded of forwardings) {
        const reply = await call(service.url, 'GET', API_KEYS_PATH, { key: unknownKey(), headers: forwarded });
        expectErrorEnvelope(reply, 429);
      }
      // The instance holds this key in memory: no lookup, no refusal.
      expect((await listKeys(service, user.key)).status).toBe(200);
    });
  });
});

describe('one key’s queue, and a client that leaves', () => {
  const { mongoBase } = stackEnv();
  const target = new URL(mongoBase);
  const proxy = new TcpProxy(target.hostname, Number(target.port));
  const iso = isolation('queue');
  let service: RunningService;

  beforeAll(async () => {
    await proxy.start();
    service = await startService(
      testConfig(iso, {
        MONGODB_URI: `mongodb://127.0.0.1:${proxy.port}/${iso.database}`,
        KEY_QUEUE_LIMIT: '2',
        READ_YOUR_WRITES_TIMEOUT_MS: '3000',
      }),
    );
  });
  afterAll(async () => {
    await closeAll([service]);
    await proxy.cut();
  });

  /** A PUT whose client hangs up after `ms`, before any answer. */
  function putAndHangUp(id: number, key: string, requestId: string, ms: number): Promise<void> {
    const url = new URL(keyPath(id), service.url);
    return new Promise((resolve) => {
      const request = http.request(url, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': key, 'X-Request-Id': requestId },
      });
      request.on('error', () => resolve());
      request.end(JSON.stringify({ api_key: { name: 'never to be recorded' } }));
      setTimeout(() => {
        request.destroy();
        resolve();
      }, ms);
    });
  }

  it('refuses a command beyond the queue at once (429), and records nothing for a client that left', async () => {
    const user = await newUser(service);
    // With the store stalled, the first PUT is appended but cannot be projected, so it holds the
    // key's turn until its read-your-writes bound: the queue behind it fills up.
    proxy.stall();
    const holding = call(service.url, 'PUT', keyPath(user.keyId), {
      key: user.key,
      body: { api_key: { name: 'holds the turn' } },
      headers: { 'X-Request-Id': 'holder' },
    });
    await new Promise((r) => setTimeout(r, 150));
    await putAndHangUp(user.keyId, user.key, 'gone-client', 300);
    const overflow = await call(service.url, 'PUT', keyPath(user.keyId), {
      key: user.key,
      body: { api_key: { name: 'one too many' } },
      headers: { 'X-Request-Id': 'one-too-many' },
    });
    expectErrorEnvelope(overflow, 429);
    expect(overflow.headers.get('retry-after')).toBe('1');
    expect((await holding).status).toBe(202);

    proxy.resume();
    await waitForProjection(iso.database, iso.topic);
    const correlations = (await readTopic(iso.topic)).map((r) => r.json?.correlation_id);
    expect(correlations).toContain('holder');
    expect(correlations).not.toContain('gone-client');
    expect(correlations).not.toContain('one-too-many');
    expect((await getKey(service, user.key, user.keyId)).body.data.name).toBe('holds the turn');
  });

  it('lists the routes’ answers as usual afterwards', async () => {
    const user = await newUser(service);
    expect((await call(service.url, 'GET', API_KEYS_PATH, { key: user.key })).status).toBe(200);
  });
});
