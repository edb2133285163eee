import { Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** A compacted topic keeps the last record of each key (and forgets a key after a tombstone). */
  readonly compacted?: boolean;
  /** A topic of short-lived records (verifier heartbeats): kept minutes, see SHORT_LIVED_TOPIC_CONFIG. */
  readonly shortLived?: boolean;
  /** How long a record of a topic that is not compacted is kept; forever (-1) unless said. */
  readonly retentionMs?: number;
}

/**
 * A compacted topic's settings, chosen so that reading it from the beginning (what every verifier
 * does at start) costs about one record per live key, not one per change ever made. Kafka never
 * compacts the active segment, and by default rolls it only weekly or at 1 GiB, and cleans a log
 * only once half of it is superseded: a verifier would then read a week of history, and up to twice
 * the live records. With these, a segment rolls within an hour (or 16 MiB), the cleaner runs once a
 * tenth of the log is superseded and at the latest an hour after a record was superseded, so a
 * bootstrap reads the live keys, at most ~11 % more, plus the last hour's changes. A tombstone is
 * kept a day (Kafka's default, stated), so a reader that was down for less still sees the delete.
 * Applied only when the service creates the topic; for an existing one see docs (kafka-configs).
 */
export const COMPACTED_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'segment.ms': String(60 * 60 * 1000),
  'segment.bytes': String(16 * 1024 * 1024),
  'min.cleanable.dirty.ratio': '0.1',
  'max.compaction.lag.ms': String(60 * 60 * 1000),
  'delete.retention.ms': String(24 * 60 * 60 * 1000),
};

/**
 * A topic whose records matter only while fresh (each verifier's heartbeat, once a second): kept
 * about 10 minutes, in 1-minute segments (Kafka deletes only whole closed segments, so a record
 * lives at most retention + one segment + the broker's 5-minute retention check). A reader then
 * reads it from its beginning in a moment, and its size grows with the number of verifiers only.
 * Deleted by time rather than compacted by instance: a stopped verifier's last heartbeat must go
 * away too, and compaction keeps the last record of every key forever.
 */
export const SHORT_LIVED_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'cleanup.policy': 'delete',
  'retention.ms': String(10 * 60 * 1000),
  'segment.ms': String(60 * 1000),
};

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
            ? Object.entries(COMPACTED_TOPIC_CONFIG).map(([name, value]) => ({ name, value }))
            : s.shortLived
              ? Object.entries(SHORT_LIVED_TOPIC_CONFIG).map(([name, value]) => ({ name, value }))
              : [{ name: 'retention.ms', value: String(s.retentionMs ?? -1) }],
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

/** The partition counts of those of `topics` that exist (one admin request; creates nothing). */
export async function existingPartitionCounts(kafka: Kafka, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length === 0) return new Map();
    const metadata = await admin.fetchTopicMetadata({ topics: present });
    return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
