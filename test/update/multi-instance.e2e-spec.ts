import { call } from '../support/http';
import { RunningService, isolation, newUser, startService, testConfig, waitUntil } from '../support/service';

describe('two service instances in one consumer group', () => {
  const iso = isolation('pair');
  let first: RunningService;
  let second: RunningService;

  beforeAll(async () => {
    first = await startService(testConfig(iso));
    second = await startService(testConfig(iso));
    // The second join rebalances the group; both are ready once each owns its share again.
    await waitUntil(
      async () => (await fetch(`${first.url}/health`)).status === 200,
      30000,
      'first instance ready after rebalance',
    );
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('answers every PUT with its own write, whichever instance owns the key’s partition', async () => {
    const user = await newUser(first);
    // Enough keys that both instances own some of their partitions.
    const ids: number[] = [user.keyId];
    for (let i = 0; i < 6; i++) {
      const created = await call(second.url, 'POST', '/api/v1/api_keys', {
        key: user.key,
        body: { api_key: { name: `k${i}`, key_type: 'private' } },
      });
      expect(created.status).toBe(201);
      ids.push(created.body.data.id);
    }
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all(
        ids.flatMap((id) =>
          [first, second].map(async (instance, which) => {
            const name = `r${round} k${id} via ${which}`;
            const reply = await call(instance.url, 'PUT', `/api/v1/api_keys/${id}`, {
              key: user.key,
              body: { api_key: { allowed_assistants: [name] } },
            });
            return { reply, name };
          }),
        ),
      );
      for (const { reply, name } of replies) {
        expect(reply.status).toBe(200);
        // Concurrent writes to one key: each answer includes its own change or a later one of this round.
        expect(reply.body.data.allowed_assistants[0]).toMatch(
          new RegExp(`^r${round} k${reply.body.data.id} via [01]$`),
        );
        if (reply.body.data.allowed_assistants[0] !== name) expect(name.startsWith(`r${round} `)).toBe(true);
      }
    }
    for (const id of ids) {
      const sequential = `sequential ${id}`;
      const instance = id % 2 === 0 ? first : second;
      const reply = await call(instance.url, 'PUT', `/api/v1/api_keys/${id}`, {
        key: user.key,
        body: { api_key: { name: sequential } },
      });
      expect(reply.body.data.name).toBe(sequential);
    }
  });
});
