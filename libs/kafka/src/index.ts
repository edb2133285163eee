// Our one doorway to kafkajs. kafkajs is unmaintained, so no other code of the service imports it
// (npm run lint enforces this; only the e2e tests read the topic with a client of their own, on
// purpose): if we ever swap the client, only this library changes.
export { createKafka } from './client';
export type { Kafka } from 'kafkajs';
export type { KafkaSettings, KafkaLog } from './client';
export { COMPACTED_TOPIC_CONFIG, ensureTopics, partitionCounts, pingCluster } from './topics';
export { LogEnds } from './log-ends';
export type { TopicSpec } from './topics';
export { partitionFor } from './partitioner';
export { BatchingProducer, ProducerUnavailableError } from './batching-producer';
export type { LogPosition, OutgoingRecord } from './batching-producer';
export { PartitionConsumer, SESSION_TIMEOUT_MS } from './partition-consumer';
export type { ConsumedBatch, ConsumedRecord, GroupMembers, PartitionConsumerOptions } from './partition-consumer';
export { TopicReader } from './topic-reader';
export type { PartitionBounds, TopicReaderOptions } from './topic-reader';
