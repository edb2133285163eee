import { Partitioners, PartitionMetadata } from 'kafkajs';

const defaultPartitioner = Partitioners.DefaultPartitioner();

/**
 * The partition a keyed record lands on: the Java client's murmur2 rule, so other producers
 * of the same topic agree. We choose it ourselves to know each record's offset from the ack.
 */
export function partitionFor(topic: string, key: string, partitionCount: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));
  return defaultPartitioner({ topic, partitionMetadata, message: { key, value: null } });
}
