import { Isolation, isolation, startService, testConfig, waitUntil } from './service';
import { readCollection } from './store';
import { topicEnds } from './topic';

/** Waits until the projection checkpoints of `database` have reached the end of every partition. */
export async function waitForProjection(database: string, topic: string, timeoutMs = 30000): Promise<void> {
  const ends = await topicEnds(topic);
  await waitUntil(
    async () => {
      const checkpoints = await readCollection(database, 'projection_checkpoints');
      const applied = new Map(
        checkpoints.filter((c) => c.topic === topic).map((c) => [c.partition as number, c.offset as number]),
      );
      return [...ends].every(([partition, end]) => end === 0 || (applied.get(partition) ?? -1) >= end - 1);
    },
    timeoutMs,
    `projection of ${topic} into ${database}`,
  );
}

/**
 * Rebuilds the read model from the topic alone: a fresh service with a new consumer group and an
 * empty database reads the topic from offset 0. Returns that database's isolation names.
 */
export async function replayToFreshDatabase(topic: string): Promise<Isolation> {
  const fresh = { ...isolation('replay'), topic };
  const replayer = await startService(testConfig(fresh));
  try {
    await waitForProjection(fresh.database, topic);
  } finally {
    await replayer.close();
  }
  return fresh;
}
