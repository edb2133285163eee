import { Kafka, logLevel } from 'kafkajs';
import { stackEnv } from './service';

// Tests read the topic with a plain kafkajs client of their own: they check what downstream
// consumers really see, not what our code thinks it wrote.
let kafka: Kafka | null = null;
const client = () =>
  (kafka ??= new Kafka({ clientId: 'e2e-reader', brokers: stackEnv().brokers.split(','), logLevel: logLevel.NOTHING }));

export interface TopicRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
  readonly json: any;
}

/** Every record on the topic right now, in per-partition log order. */
export async function readTopic(topic: string): Promise<TopicRecord[]> {
  const wanted = await topicEnds(topic);
  const records: TopicRecord[] = [];
  if ([...wanted.values()].every((high) => high === 0)) return records;
  const consumer = client().consumer({ groupId: `reader-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<number, number>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`could not read all of ${topic}`)), 30000);
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const value = message.value?.toString() ?? null;
          let json: unknown;
          try {
            json = value === null ? null : JSON.parse(value);
          } catch {
            json = null;
          }
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          records.push({
            partition,
            offset: Number(message.offset),
            key: message.key?.toString() ?? null,
            value,
            headers,
            json,
          });
          seen.set(partition, Number(message.offset) + 1);
          if ([...wanted].every(([p, high]) => (seen.get(p) ?? 0) >= high)) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Each partition's end offset (the offset the next record will get). */
export async function topicEnds(topic: string): Promise<Map<number, number>> {
  const admin = client().admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** How many records the topic holds (sum of its partitions' end offsets): cheap "did anything land?". */
export async function topicSize(topic: string): Promise<number> {
  return [...(await topicEnds(topic)).values()].reduce((sum, end) => sum + end, 0);
}

/** Moves a consumer group back to the start of the topic (the group must have no live members). */
export async function rewindGroup(groupId: string, topic: string): Promise<void> {
  const admin = client().admin();
  await admin.connect();
  try {
    await admin.resetOffsets({ groupId, topic, earliest: true });
  } finally {
    await admin.disconnect();
  }
}

/** Appends a raw record, for tests that need a record our service would never write. */
export async function produceRaw(
  topic: string,
  record: { key: string; value: string; headers?: Record<string, string> },
): Promise<void> {
  const producer = client().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [record] });
  await producer.disconnect();
}
