import { createKey, getKey } from '../support/keys';
import {
  RunningService,
  User,
  closeAll,
  isHealthy,
  isolation,
  newUser,
  startService,
  testConfig,
  waitUntil,
} from '../support/service';
import { readCollection } from '../support/store';

const BUDGET = 60;
const USER_BUDGET = 90;
const WINDOW_S = 60;

interface Tally {
  admitted: number;
  refusals: string[];
  /** From the first request's start to the last answer, in seconds: what the bucket may refill in. */
  elapsedS: number;
}

/** Sends `count` GETs one after another, the n-th with `pick(n)`; counts what was admitted. */
async function stream(count: number, pick: (n: number) => [RunningService, User | { key: string; keyId: number }]) {
  const tally: Tally = { admitted: 0, refusals: [], elapsedS: 0 };
  const start = Date.now();
  for (let n = 0; n < count; n++) {
    const [instance, caller] = pick(n);
    const reply = await getKey(instance, caller.key, caller.keyId);
    if (reply.status === 200) tally.admitted += 1;
    else if (reply.status === 429) tally.refusals.push(reply.body.errors[0]);
    else throw new Error(`unexpected ${reply.status}: ${reply.text}`);
  }
  tally.elapsedS = (Date.now() - start) / 1000;
  return tally;
}

/** The most a budget may admit over `elapsedS` (B + B·t/W), times `factor`. */
const bound = (budget: number, elapsedS: number, factor = 1) => factor * (budget + (budget * elapsedS) / WINDOW_S);

/**
 * Two instances on one stack, as a scaled-out deployment runs them: the key and user budgets are
 * the fleet's, not each instance's, whatever the balancer does.
 */
describe('budgets across two instances', () => {
  const iso = isolation('fleet-budgets');
  const instances: RunningService[] = [];
  let first: RunningService;
  let second: RunningService;

  beforeAll(async () => {
    const config = testConfig(iso, {
      RATE_LIMIT_PER_KEY: String(BUDGET),
      RATE_LIMIT_PER_USER: String(USER_BUDGET),
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_S),
    });
    for (let i = 0; i < 2; i++) instances.push(await startService(config));
    [first, second] = instances;
    await waitUntil(async () => (await Promise.all(instances.map(isHealthy))).every(Boolean), 30000, 'both ready');
    // Sharing works once each instance has read the other's usage document and said so in its own.
    await waitUntil(
      async () => {
        const docs = await readCollection(iso.database, 'rate_limit_usage');
        return docs.length === 2 && docs.every((doc) => (doc.charged as unknown[]).length === 1);
      },
      15000,
      'each instance charging the other',
    );
  });
  afterAll(() => closeAll(instances));

  it('admits at most 1.2× a key’s budget to requests alternating between the instances', async () => {
    const user = await newUser(first);
    const tally = await stream(3 * BUDGET, (n) => [instances[n % 2], user]);
    process.stdout.write(`alternating: ${tally.admitted} of ${3 * BUDGET} admitted in ${tally.elapsedS} s\n`);
    expect(tally.admitted).toBeLessThanOrEqual(bound(BUDGET, tally.elapsedS, 1.2));
    expect(tally.admitted).toBeGreaterThanOrEqual(0.8 * BUDGET);
    expect(new Set(tally.refusals)).toEqual(
      new Set(['this API key has used its request budget for the current window']),
    );
  });

  it('gives a key stuck to one instance at least 0.8× its budget, and no more than its budget', async () => {
    const user = await newUser(second);
    const tally = await stream(2 * BUDGET, () => [second, user]);
    process.stdout.write(`one instance: ${tally.admitted} of ${2 * BUDGET} admitted in ${tally.elapsedS} s\n`);
    expect(tally.admitted).toBeGreaterThanOrEqual(0.8 * BUDGET);
    expect(tally.admitted).toBeLessThanOrEqual(bound(BUDGET, tally.elapsedS));
    // And the other instance knows it: the key has nothing left there either, but for what the
    // bucket has refilled since (B per window, continuously: one a second here).
    const ended = Date.now();
    const elsewhere = await getKey(first, user.key, user.keyId);
    const refilled = Math.ceil((BUDGET * (Date.now() - ended + 1000)) / 1000 / WINDOW_S);
    expect(Number(elsewhere.headers.get('x-ratelimit-remaining'))).toBeLessThanOrEqual(refilled);
  });

  it('holds a user’s keys together to the user’s budget, on both instances', async () => {
    const user = await newUser(first);
    const keys = [
      { key: user.key, keyId: user.keyId },
      ...(await Promise.all([createKey(first, user.key), createKey(second, user.key)])).map((k) => ({
        key: k.key_value!,
        keyId: k.id,
      })),
    ];
    const tally = await stream(3 * USER_BUDGET, (n) => [instances[n % 2], keys[n % 3]]);
    const admitted = tally.admitted + 2; // the two creates spent the user's budget too
    process.stdout.write(
      `one user, three keys: ${admitted} of ${3 * USER_BUDGET + 2} admitted in ${tally.elapsedS} s\n`,
    );
    expect(admitted).toBeLessThanOrEqual(bound(USER_BUDGET, tally.elapsedS, 1.2));
    expect(admitted).toBeGreaterThan(BUDGET); // more than one key's budget: the user's is the limit
    expect(tally.refusals).toContain(
      'this user has used the request budget of all their keys together for the current window',
    );
  });
});

describe('a token bucket in the service', () => {
  const iso = isolation('edge-burst');
  let service: RunningService;
  // A small budget over a 2 s window, so a stream crosses several of the old calendar windows.
  const B = 10;
  const W_MS = 2000;

  beforeAll(async () => {
    service = await startService(
      testConfig(iso, { RATE_LIMIT_PER_KEY: String(B), RATE_LIMIT_WINDOW_SECONDS: String(W_MS / 1000) }),
    );
  });
  afterAll(() => closeAll([service]));

  it('admits no more than B + B·t/W in any span of a stream across window changes', async () => {
    const user = await newUser(service);
    // Start just before an old window's edge, where fixed windows let 2B through back to back.
    await new Promise((r) => setTimeout(r, W_MS - (Date.now() % W_MS) - 300));
    const admitted: { sent: number; answered: number }[] = [];
    const end = Date.now() + 2.5 * W_MS;
    while (Date.now() < end) {
      const sent = Date.now();
      const reply = await getKey(service, user.key, user.keyId);
      if (reply.status === 200) admitted.push({ sent, answered: Date.now() });
      else expect(reply.status).toBe(429);
    }
    // Each request was admitted between its sending and its answer, so a span from the i-th
    // sending to the j-th answer holds the admissions i..j.
    for (let i = 0; i < admitted.length; i++) {
      for (let j = i; j < admitted.length; j++) {
        const spanMs = admitted[j].answered - admitted[i].sent;
        expect(j - i + 1).toBeLessThanOrEqual(B + (B * spanMs) / W_MS);
      }
    }
    process.stdout.write(`edge stream: ${admitted.length} admitted over ${2.5 * W_MS} ms\n`);
    expect(admitted.length).toBeGreaterThanOrEqual(B);
  });
});
