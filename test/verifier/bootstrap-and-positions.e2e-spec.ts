import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { partitionFor } from '@app/kafka';
import { expectErrorEnvelope } from '../support/http';
import { ApiKeyData, createKey, deleteKey, getKey, updateKey } from '../support/keys';
import { isolation, stackEnv, useService, waitUntil } from '../support/service';
import { topicEnds } from '../support/topic';
import { RunningVerifier, isReady, startVerifier, untilCode, verdict, verify } from '../support/verifier';

const PARTITIONS = 3; // KAFKA_TOPIC_PARTITIONS' default: the suite's topics have it

describe('a verifier’s start: the whole state topic, then ready', () => {
  const suite = useService('verifier-bootstrap', ['alice'] as const);
  const stateTopic = () => `${suite.iso.topic}.state`;
  const running: RunningVerifier[] = [];
  afterEach(async () => {
    for (const v of running.splice(0)) await v.close();
  });

  it('started after the keys were written, holds them all: live ones valid, revoked ones gone, changes applied', async () => {
    const keys: ApiKeyData[] = [];
    for (let i = 0; i < 6; i++) keys.push(await createKey(suite.service, suite.alice.key, { name: `key ${i}` }));
    expect((await deleteKey(suite.service, suite.alice.key, keys[0].id)).status).toBe(200);
    expect((await updateKey(suite.service, suite.alice.key, keys[1].id, { enabled: false })).status).toBe(200);
    expect((await updateKey(suite.service, suite.alice.key, keys[2].id, { name: 'renamed' })).status).toBe(200);

    const verifier = await startVerifier(suite.iso);
    running.push(verifier);
    expect((await verdict(verifier, { key: keys[0].key_value })).code).toBe('NOT_FOUND');
    expect((await verdict(verifier, { key: keys[1].key_value })).code).toBe('DISABLED');
    const renamed = await verdict(verifier, { key: keys[2].key_value });
    expect(renamed.key).toEqual((await getKey(suite.service, suite.alice.key, keys[2].id)).body.data);
    for (const key of keys.slice(3)) expect((await verdict(verifier, { key: key.key_value })).code).toBe('VALID');
    const health: any = await (await fetch(`${verifier.url}/health/ready`)).json();
    // Its applied positions are public: every partition read to where the topic ended.
    const ends = await topicEnds(stateTopic());
    for (const [partition, end] of ends) if (end > 0) expect(health.data.applied[partition]).toBe(end - 1);
  });

  it('finds the state topic created compacted, with segments and cleaning that keep a bootstrap near the live keys', async () => {
    const admin = new Kafka({ brokers: stackEnv().brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: stateTopic() }],
      });
      const config = Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
      expect(config).toMatchObject({
        'cleanup.policy': 'compact',
        'segment.ms': '3600000',
        'segment.bytes': '16777216',
        'min.cleanable.dirty.ratio': '0.1',
        'max.compaction.lag.ms': '3600000',
        'delete.retention.ms': '86400000',
      });
    } finally {
      await admin.disconnect();
    }
  });

  it('is not ready, and answers 503 rather than NOT_FOUND, while it has no state topic to read', async () => {
    const nowhere = isolation('verifier-no-topic');
    const verifier = await startVerifier(nowhere, {}, { ready: false });
    running.push(verifier);
    const ready = await fetch(`${verifier.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain(`${nowhere.topic}.state`);
    expect((await fetch(`${verifier.url}/health/live`)).status).toBe(200);
    const reply = await verify(verifier, { key: suite.alice.key });
    expectErrorEnvelope(reply, 503);
    expect(reply.headers.get('retry-after')).toBe('1');
  });

  it('restarted while keys change, comes back with every change made while it was down or starting', async () => {
    const keys: ApiKeyData[] = [];
    for (let i = 0; i < 4; i++) keys.push(await createKey(suite.service, suite.alice.key, { name: `before ${i}` }));
    const first = await startVerifier(suite.iso);
    for (const key of keys) await untilCode(first, { key: key.key_value }, 'VALID');
    await first.close();

    // Changes while no verifier runs, and while the next one starts and reads the topic.
    const writes = (async () => {
      expect((await deleteKey(suite.service, suite.alice.key, keys[0].id)).status).toBe(200);
      expect((await updateKey(suite.service, suite.alice.key, keys[1].id, { enabled: false })).status).toBe(200);
      for (let i = 0; i < 5; i++)
        expect((await updateKey(suite.service, suite.alice.key, keys[2].id, { name: `during ${i}` })).status).toBe(200);
      return createKey(suite.service, suite.alice.key, { name: 'new while restarting' });
    })();
    const second = await startVerifier(suite.iso);
    running.push(second);
    const added = await writes;

    expect((await untilCode(second, { key: keys[0].key_value }, 'NOT_FOUND')).key).toBeNull();
    await untilCode(second, { key: keys[1].key_value }, 'DISABLED');
    await waitUntil(
      async () => (await verdict(second, { key: keys[2].key_value })).key.name === 'during 4',
      10_000,
      'the last rename',
    );
    await untilCode(second, { key: keys[3].key_value }, 'VALID');
    await untilCode(second, { key: added.key_value }, 'VALID');
  });

  it('answers a min_position only from a state that includes it: a DELETE’s records, waited for', async () => {
    const verifier = await startVerifier(suite.iso, { VERIFIER_MIN_POSITION_WAIT_MS: '10000' });
    running.push(verifier);
    const key = await createKey(suite.service, suite.alice.key);
    await untilCode(verifier, { key: key.key_value }, 'VALID');
    // The DELETE's state record goes to the key's partition, at that partition's end now.
    const partition = partitionFor(stateTopic(), String(key.id), PARTITIONS);
    const end = (await topicEnds(stateTopic())).get(partition)!;
    const asked = verify(verifier, { key: key.key_value, min_position: `${partition}:${end}` });
    await new Promise((r) => setTimeout(r, 300));
    expect((await deleteKey(suite.service, suite.alice.key, key.id)).status).toBe(200);
    const reply = await asked;
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ valid: false, code: 'NOT_FOUND', key: null, matched: null });
    // A position already applied is answered at once.
    expect((await verdict(verifier, { key: key.key_value, min_position: `${partition}:0` })).code).toBe('NOT_FOUND');
  });

  it('answers 503 with Retry-After when a min_position is not reached within VERIFIER_MIN_POSITION_WAIT_MS', async () => {
    const verifier = await startVerifier(suite.iso, { VERIFIER_MIN_POSITION_WAIT_MS: '300' });
    running.push(verifier);
    const reply = await verify(verifier, { key: suite.alice.key, min_position: '0:999999999' });
    expectErrorEnvelope(reply, 503);
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(reply.body.errors[0]).toMatch(/has not applied position 0:999999999 within 300 ms/);
    expect(await isReady(verifier)).toBe(true);
  });
});
