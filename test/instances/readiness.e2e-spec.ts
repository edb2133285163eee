import { Consumer, Kafka, logLevel } from 'kafkajs';
import { partitionFor } from '@app/kafka';
import { call, expectErrorEnvelope } from '../support/http';
import { createKey, getKey, updateKey } from '../support/keys';
import { isHealthy, stackEnv, useService, waitUntil } from '../support/service';

/**
 * A member of the projector's group that takes partitions and projects nothing: the test's own
 * plain kafkajs consumer, pausing every partition it is given. For the service, those partitions
 * are unowned as after an instance died, but for as long as the test wants.
 */
async function joinAsIdleMember(topic: string, groupId: string): Promise<{ member: Consumer; owned: number[] }> {
  const kafka = new Kafka({
    clientId: 'e2e-idle-member',
    brokers: stackEnv().brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const member = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 1000 });
  let owned: number[] = [];
  member.on(member.events.GROUP_JOIN, ({ payload }) => {
    owned = payload.memberAssignment[topic] ?? [];
  });
  await member.connect();
  await member.subscribe({ topic, fromBeginning: true });
  await member.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async ({ pause }) => void pause() });
  await waitUntil(async () => owned.length > 0, 30_000, 'the idle member to be given partitions');
  return { member, owned };
}

describe('readiness (/health) while partitions of the events topic go unprojected', () => {
  const fixture = useService('readiness', ['alice'], {
    READ_YOUR_WRITES_TIMEOUT_MS: '1000',
    HEALTH_PROJECTION_STALL_MS: '1000',
  });
  let member: Consumer | undefined;
  afterAll(() => member?.disconnect());

  it('answers 503 naming the partition nobody projects, and 200 again once it is projected', async () => {
    const { service, alice } = fixture;
    const keys = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createKey(service, alice.key, { name: `k${i}` })),
    );
    const joined = await joinAsIdleMember(fixture.iso.topic, fixture.iso.group);
    member = joined.member;
    // The service's own member rejoined with the partitions left to it.
    await waitUntil(() => isHealthy(service), 30_000, 'the service ready after the rebalance');
    const partitionOf = (id: number) => partitionFor(fixture.iso.topic, String(id), 3);
    const stranded = keys.find((k) => joined.owned.includes(partitionOf(k.id)))!;

    // Recorded, but nobody applies it: 202 after the (shortened) read-your-writes wait.
    expect((await updateKey(service, alice.key, stranded.id, { name: 'stranded' })).status).toBe(202);
    let health = await call(service.url, 'GET', '/health');
    await waitUntil(
      async () => (health = await call(service.url, 'GET', '/health')).status === 503,
      30_000,
      'readiness to say 503',
    );
    expectErrorEnvelope(health, 503);
    expect(health.body.errors).toContainEqual(
      expect.stringMatching(
        new RegExp(`^projection: partition ${partitionOf(stranded.id)} .*no instance is projecting it`),
      ),
    );
    expect((await call(service.url, 'GET', '/health/ready')).status).toBe(503);
    expect((await call(service.url, 'GET', '/health/live')).status).toBe(200);

    // The idle member leaves; the service takes its partitions and applies what waited.
    await member.disconnect();
    member = undefined;
    await waitUntil(() => isHealthy(service), 30_000, 'readiness to say 200 again');
    expect((await getKey(service, alice.key, stranded.id)).body.data.name).toBe('stranded');
  }, 120_000);
});
