import mongoose from 'mongoose';
import { Isolation, isolation, stackEnv, startService, testConfig, waitUntil } from './service';
import { topicEnds } from './topic';

/** Every document of a collection in a suite's database, ordered by _id. */
export async function readCollection(database: string, collection: string): Promise<Record<string, unknown>[]> {
  const connection = await mongoose.createConnection(`${stackEnv().mongoBase}${database}`).asPromise();
  try {
    return await connection.collection(collection).find({}).sort({ _id: 1 }).toArray();
  } finally {
    await connection.close();
  }
}

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
