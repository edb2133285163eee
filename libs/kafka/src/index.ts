// Our one doorway to kafkajs. kafkajs is unmaintained, so nothing else in the code base imports
// it: if we ever swap the client, only this library changes.
export { createKafka } from './client';
export type { Kafka } from 'kafkajs';
export type { KafkaSettings, KafkaLog } from './client';
export { ensureTopics, pingCluster } from './topics';
export type { TopicSpec } from './topics';
export { partitionFor } from './partitioner';
export { BatchingProducer, ProducerUnavailableError } from './batching-producer';
export type { LogPosition, OutgoingRecord } from './batching-producer';
export { PartitionConsumer } from './partition-consumer';
export type { ConsumedBatch, ConsumedRecord, PartitionConsumerOptions } from './partition-consumer';
