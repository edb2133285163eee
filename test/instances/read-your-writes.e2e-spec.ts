import { createKey, updateKey } from '../support/keys';
import { RunningService, closeAll, isolation, newUser, startInstances } from '../support/service';
import { readTopic } from '../support/topic';

describe('read-your-writes with two instances of the service', () => {
  const iso = isolation('pair');
  let first: RunningService;
  let second: RunningService;

  beforeAll(async () => {
    [first, second] = await startInstances(iso, 2);
  });
  afterAll(() => closeAll([first, second]));

  it('answers every PUT with its own write, whichever instance owns the key’s partition', async () => {
    const user = await newUser(first);
    // Enough keys that both instances own some of their partitions.
    const ids: number[] = [user.keyId];
    for (let i = 0; i < 6; i++) ids.push((await createKey(second, user.key, { name: `k${i}` })).id);
    const answers: { id: number; sent: string; shown: string[] }[] = [];
    for (let round = 0; round < 5; round++) {
      // Each key gets two concurrent writes per round, one through each instance.
      const replies = await Promise.all(
        ids.flatMap((id) =>
          [first, second].map(async (instance, which) => {
            const sent = `r${round} k${id} via ${which}`;
            const reply = await updateKey(instance, user.key, id, { allowed_assistants: [sent] });
            return { id, sent, reply };
          }),
        ),
      );
      for (const { id, sent, reply } of replies) {
        expect(reply.status).toBe(200);
        expect(reply.body.data.id).toBe(id);
        answers.push({ id, sent, shown: reply.body.data.allowed_assistants });
      }
    }
    // The log decides the order of concurrent writes to one key: an answer must show its own
    // write or one appended after it to that key's partition, never an older one.
    const log = await readTopic(iso.topic);
    for (const id of ids) {
      const updates = log.filter((r) => r.json?.api_key_id === id && r.json.event_type === 'ApiKeyUpdated');
      expect(new Set(updates.map((r) => r.partition)).size).toBe(1);
      const logOrder: string[] = updates.map((r) => r.json.data.changes.allowed_assistants[0]);
      const mine = answers.filter((a) => a.id === id);
      expect([...logOrder].sort()).toEqual(mine.map((a) => a.sent).sort());
      for (const { sent, shown } of mine) {
        expect(logOrder.slice(logOrder.indexOf(sent))).toContain(shown[0]);
        expect(shown).toHaveLength(1);
      }
    }
    for (const id of ids) {
      const sequential = `sequential ${id}`;
      const instance = id % 2 === 0 ? first : second;
      const reply = await updateKey(instance, user.key, id, { name: sequential });
      expect(reply.body.data.name).toBe(sequential);
    }
  });
});
