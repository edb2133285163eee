import { createKey, deleteKey, getKey, updateKey } from '../support/keys';
import { replayToFreshDatabase, waitForProjection } from '../support/projection';
import { newUser, startService, testConfig, useService } from '../support/service';
import { readCollection } from '../support/store';
import { produceRaw, readTopic, rewindGroup } from '../support/topic';

describe('projecting the log into the read model', () => {
  const suite = useService('projector', ['user']);
  const { iso } = suite;

  it('sets unreadable records aside to the dead-letter topic and keeps projecting the partition', async () => {
    const key = String(suite.user.keyId); // same key, so same partition as the live key's events
    const valid = {
      event_id: '6f1c7d8e-0000-4000-8000-000000000001',
      api_key_id: suite.user.keyId,
      user_id: suite.user.userId,
      occurred_at: new Date().toISOString(),
      correlation_id: 'poison',
    };
    const poison = [
      { reason: /not JSON/, value: '{this is not json' },
      {
        reason: /unknown event_type/,
        value: JSON.stringify({ ...valid, event_type: 'ApiKeyRenamed', schema_version: 1, data: {} }),
      },
      {
        reason: /unknown schema_version/,
        value: JSON.stringify({
          ...valid,
          event_type: 'ApiKeyUpdated',
          schema_version: 99,
          data: { changes: { name: 'v99' } },
        }),
      },
      {
        reason: /data.changes.colour/,
        value: JSON.stringify({
          ...valid,
          event_type: 'ApiKeyUpdated',
          schema_version: 1,
          data: { changes: { colour: 'red' } },
        }),
      },
    ];
    for (const p of poison) await produceRaw(iso.topic, { key, value: p.value });

    const after = await updateKey(suite.service, suite.user.key, suite.user.keyId, { name: 'after the poison' });
    expect(after.status).toBe(200);
    expect(after.body.data.name).toBe('after the poison');

    const dead = await readTopic(`${iso.topic}.dlq`);
    expect(dead.map((d) => d.value)).toEqual(poison.map((p) => p.value));
    dead.forEach((record, i) => {
      expect(record.key).toBe(key);
      expect(record.headers.dlq_reason).toMatch(poison[i].reason);
      expect(record.headers.dlq_source_topic).toBe(iso.topic);
      expect(Number(record.headers.dlq_source_offset)).toBeGreaterThanOrEqual(0);
    });
  });

  it('changes nothing when a restart delivers every event again, as after a crash before the offset commit', async () => {
    const other = await newUser(suite.service);
    for (let i = 0; i < 5; i++) {
      expect(
        (await updateKey(suite.service, suite.user.key, suite.user.keyId, { name: `before crash ${i}` })).status,
      ).toBe(200);
      expect((await updateKey(suite.service, other.key, other.keyId, { name: `other ${i}` })).status).toBe(200);
    }
    await waitForProjection(iso.database, iso.topic);
    const before = await readCollection(iso.database, 'api_keys');
    const checkpointsBefore = await readCollection(iso.database, 'projection_checkpoints');
    await suite.service.close();
    // The results are in MongoDB but, as after a crash before the commit, Kafka has no offsets:
    // every record is delivered again.
    await rewindGroup(iso.group, iso.topic);
    suite.service = await startService(testConfig(iso));
    await waitForProjection(iso.database, iso.topic);
    expect(await readCollection(iso.database, 'api_keys')).toEqual(before);
    expect(await readCollection(iso.database, 'projection_checkpoints')).toEqual(checkpointsBefore);
    const next = await updateKey(suite.service, suite.user.key, suite.user.keyId, { name: 'after restart' });
    expect(next.body.data.name).toBe('after restart');
  });

  it('decides an update racing a delete from the log: 200 only if it came first, and a replay agrees', async () => {
    const outcomes: { id: number; update: number; remove: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const { id } = await createKey(suite.service, suite.user.key, { name: `race ${i}` });
      const [update, remove] = await Promise.all([
        updateKey(suite.service, suite.user.key, id, { name: `raced ${i}` }),
        deleteKey(suite.service, suite.user.key, id),
      ]);
      expect(remove.status).toBe(200);
      expect([200, 404]).toContain(update.status);
      outcomes.push({ id, update: update.status, remove: remove.status });
    }
    const log = await readTopic(iso.topic);
    for (const { id, update } of outcomes) {
      const types = log.filter((r) => r.json?.api_key_id === id).map((r) => r.json.event_type);
      const updatedAt = types.indexOf('ApiKeyUpdated');
      const deletedAt = types.indexOf('ApiKeyDeleted');
      if (update === 200) expect(updatedAt).toBeLessThan(deletedAt);
      else expect(updatedAt === -1 || updatedAt > deletedAt).toBe(true);
      expect((await getKey(suite.service, suite.user.key, id)).status).toBe(404);
    }
    await waitForProjection(iso.database, iso.topic);
    const replayed = await replayToFreshDatabase(iso.topic);
    expect(await readCollection(replayed.database, 'api_keys')).toEqual(await readCollection(iso.database, 'api_keys'));
  });
});
