import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { call, expectErrorEnvelope } from '../support/http';
import { getKey, updateKey } from '../support/keys';
import {
  RunningService,
  User,
  isHealthy,
  isolation,
  newUser,
  stackEnv,
  startService,
  testConfig,
  waitUntil,
} from '../support/service';
import { TcpProxy } from '../support/tcp-proxy';
import { readTopic, topicSize } from '../support/topic';

const run = promisify(execFile);

const rename = (service: RunningService, user: User, name: string) =>
  updateKey(service, user.key, user.keyId, { name });

/** Waits until a PUT of the user's key succeeds again; returns the key as read afterwards. */
async function expectWritesToRecover(service: RunningService, user: User, timeoutMs: number) {
  await waitUntil(
    async () => (await rename(service, user, 'after the outage')).status === 200,
    timeoutMs,
    'PUT to succeed again',
  );
  const read = await getKey(service, user.key, user.keyId);
  expect(read.body.data.name).toBe('after the outage');
  return read;
}

/** Stops or starts the test Kafka broker through the project's own stack script. */
const kafka = (command: 'stop-kafka' | 'start-kafka') =>
  run(process.execPath, ['scripts/stack.js', command], { env: process.env, timeout: 120000 });

describe('when MongoDB becomes unreachable', () => {
  const iso = isolation('mongo-down');
  const { mongoBase } = stackEnv();
  const target = new URL(mongoBase);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 27017));
  let service: RunningService;

  beforeAll(async () => {
    await proxy.start();
    service = await startService(testConfig(iso, { MONGODB_URI: `mongodb://127.0.0.1:${proxy.port}/${iso.database}` }));
  });
  afterAll(async () => {
    await service?.close();
    await proxy.cut();
  });

  it('answers 503 in the envelope within seconds, records nothing, and recovers by itself', async () => {
    const user = await newUser(service);
    expect((await rename(service, user, 'before the outage')).status).toBe(200);

    await proxy.cut();
    const health = await call(service.url, 'GET', '/health');
    expectErrorEnvelope(health, 503);
    expect(health.body.errors.join(' ')).toMatch(/mongodb/);
    // Until the service notices (its driver's next heartbeat, seconds), a PUT may still be
    // recorded and answered 202 "accepted, not yet visible"; after that, every PUT is a 503.
    const cutAt = Date.now();
    let reply = await rename(service, user, 'while noticing');
    while (reply.status === 202 && Date.now() - cutAt < 15000) reply = await rename(service, user, 'while noticing');
    expectErrorEnvelope(reply, 503);
    expect(reply.body.error).toMatch(/MongoDB/);
    const eventsDuring = await topicSize(iso.topic);
    const again = await rename(service, user, 'during the outage');
    expectErrorEnvelope(again, 503);
    expect(await topicSize(iso.topic)).toBe(eventsDuring);

    await proxy.restore();
    await expectWritesToRecover(service, user, 30000);
  });
});

describe('when Kafka stops mid-run', () => {
  const iso = isolation('kafka-down');
  let service: RunningService;

  beforeAll(async () => {
    service = await startService(testConfig(iso));
  });
  afterAll(async () => {
    await kafka('start-kafka'); // never leave the shared broker down for the next suite
    await service?.close();
  });

  it('answers 503 within seconds, truthful about whether the write may land, keeps serving reads, and recovers', async () => {
    const user = await newUser(service);
    expect((await rename(service, user, 'before the outage')).status).toBe(200);

    await kafka('stop-kafka');
    const started = Date.now();
    // It also sets a field no later request touches, so the final state tells whether it landed.
    const reply = await updateKey(
      service,
      user.key,
      user.keyId,
      { name: 'during the outage', allowed_assistants: ['set during the outage'] },
      { 'X-Request-Id': 'during-the-outage' },
    );
    expectErrorEnvelope(reply, 503);
    expect(reply.body.error).toMatch(/Kafka/);
    expect(Date.now() - started).toBeLessThan(15000);
    const read = await getKey(service, user.key, user.keyId);
    expect(read.status).toBe(200);
    expect(read.body.data.name).toBe('before the outage');
    const health = await call(service.url, 'GET', '/health');
    expectErrorEnvelope(health, 503);
    expect(health.body.errors.join(' ')).toMatch(/kafka/);

    await kafka('start-kafka');
    const after = await expectWritesToRecover(service, user, 60000);
    await waitUntil(() => isHealthy(service), 60000, 'healthy again');

    // What the 503 said must be true now that the log has decided. The PUT that succeeded was
    // appended after it to the same partition, so its 200 means the state includes it if it landed.
    const landed = (await readTopic(iso.topic)).filter((r) => r.json?.correlation_id === 'during-the-outage');
    const outcome = { inLog: landed.length, shown: after.body.data.allowed_assistants };
    const absent = { inLog: 0, shown: [] };
    const appliedOnce = { inLog: 1, shown: ['set during the outage'] };
    if (/Nothing was recorded/.test(reply.body.details)) expect(outcome).toEqual(absent);
    else {
      expect(reply.body.details).toMatch(/may still be applied/);
      expect([absent, appliedOnce]).toContainEqual(outcome);
    }
  });
});
