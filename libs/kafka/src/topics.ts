import { Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** A compacted topic keeps the last record of each key (and forgets a key after a tombstone). */
  readonly compacted?: boolean;
}

/**
 * Creates the topics that are missing (infinite retention: the log is the source of truth; or
 * compaction, for a topic of current states) and
 * returns each topic's actual partition count, which decides where a key's events live.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: -1,
          configEntries: s.compacted
            ? [{ name: 'cleanup.policy', value: 'compact' }]
            : [{ name: 'retention.ms', value: '-1' }],
        })),
      });
    }
    const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    return new Map(topics.map((t) => [t.name, t.partitions.length]));
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once a broker answers a metadata request (callers bound the wait). */
export async function pingCluster(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
