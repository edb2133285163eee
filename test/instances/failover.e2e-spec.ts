import { partitionFor } from '@app/kafka';
import { call } from '../support/http';
import { isolation, uniqueName, waitUntil } from '../support/service';
import { SpawnedService, bootstrapUser, ensureBuilt, serviceEnv } from '../support/spawned-service';

const PARTITIONS = 3;
const KEYS_PER_PARTITION = 30;
// Per partition, one PUT this often, each on the next of its keys: a key's PUTs come 6 s apart,
// more than a PUT can wait, so no PUT queues behind another of its key.
const PUT_EVERY_MS = 200;
// Generous, for a slow shared machine: the stall is bounded by the 2 s session timeout plus a
// heartbeat, a rejoin and applying what waited (measured 2.5-3.4 s; 11-14.5 s with the 10 s
// session timeout before, which fails this test).
const STALL_BOUND_MS = 9000;

interface Answer {
  readonly keyId: number;
  readonly partition: number;
  readonly name: string;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number;
}

/**
 * Two instances share the group; one is SIGKILLed (no LeaveGroup) while PUTs stream in to the
 * other. Until the group notices the dead member, its partitions are projected by nobody.
 */
describe('when one of two instances is killed under load', () => {
  const iso = isolation('failover');
  let survivor: SpawnedService;
  let victim: SpawnedService;

  beforeAll(() => ensureBuilt(), 180_000);
  afterAll(async () => {
    await victim?.stop();
    await survivor?.stop();
  });

  it('the survivor answers PUTs on every partition with 200 again within seconds, losing none', async () => {
    const env = serviceEnv(iso, { KAFKA_TOPIC_PARTITIONS: String(PARTITIONS) });
    survivor = await SpawnedService.start(env);
    victim = await SpawnedService.start(env);
    await waitUntil(
      async () =>
        (await Promise.all([survivor, victim].map(async (s) => (await fetch(`${s.url}/health`)).status))).every(
          (status) => status === 200,
        ),
      60_000,
      'both instances ready after the rebalance',
    );
    const { key } = await bootstrapUser(env, `${uniqueName('failover')}@example.com`);
    const byPartition: number[][] = Array.from({ length: PARTITIONS }, () => []);
    while (byPartition.some((ids) => ids.length < KEYS_PER_PARTITION)) {
      const created = await Promise.all(
        Array.from({ length: 10 }, () =>
          call(survivor.url, 'POST', '/api/v1/api_keys', {
            key,
            body: { api_key: { name: 'created', key_type: 'public' } },
          }),
        ),
      );
      for (const reply of created) {
        expect(reply.status).toBe(201);
        byPartition[partitionFor(iso.topic, String(reply.body.data.id), PARTITIONS)].push(reply.body.data.id);
      }
    }

    const answers: Answer[] = [];
    const inFlight: Promise<void>[] = [];
    let round = 0;
    const stream = setInterval(() => {
      round += 1;
      byPartition.forEach((ids, partition) => {
        const keyId = ids[round % ids.length];
        const name = `round ${round}`;
        const sentAt = Date.now();
        inFlight.push(
          call(survivor.url, 'PUT', `/api/v1/api_keys/${keyId}`, { key, body: { api_key: { name } } }).then(
            (reply) =>
              void answers.push({ keyId, partition, name, sentAt, answeredAt: Date.now(), status: reply.status }),
            () => void answers.push({ keyId, partition, name, sentAt, answeredAt: Date.now(), status: 0 }),
          ),
        );
      });
    }, PUT_EVERY_MS);
    await new Promise((r) => setTimeout(r, 2000));
    const killedAt = Date.now();
    victim.signal('SIGKILL');
    await waitUntil(
      async () =>
        byPartition.every((_, p) => answers.some((a) => a.partition === p && a.sentAt >= killedAt && a.status === 200)),
      30_000,
      'a 200 on every partition after the kill',
    ).finally(() => clearInterval(stream));
    await Promise.all(inFlight);

    const stallMs =
      Math.max(
        ...byPartition.map((_, p) =>
          Math.min(
            ...answers
              .filter((a) => a.partition === p && a.sentAt >= killedAt && a.status === 200)
              .map((a) => a.answeredAt),
          ),
        ),
      ) - killedAt;
    expect({ stallMs, withinBound: stallMs < STALL_BOUND_MS }).toEqual({ stallMs, withinBound: true });
    // The survivor kept answering: 200, or 202 (recorded, not yet visible) on the unowned partitions.
    expect(answers.filter((a) => a.status !== 200 && a.status !== 202)).toEqual([]);

    // Nothing acknowledged was lost: each key ends up with the name of its last PUT.
    const lastPut = new Map(answers.sort((a, b) => a.sentAt - b.sentAt).map((a) => [a.keyId, a.name]));
    await waitUntil(
      async () => {
        for (const [keyId, name] of lastPut) {
          const read = await call(survivor.url, 'GET', `/api/v1/api_keys/${keyId}`, { key });
          if (read.body?.data?.name !== name) return false;
        }
        return true;
      },
      30_000,
      'every key to show its last acknowledged name',
    );
  }, 180_000);
});
